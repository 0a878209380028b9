package completeness

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func TestDocumentNumbers(t *testing.T) {
	tests := []struct {
		name       string
		text       string
		codes      []string
		target     string // what the findings point at
		suggestion string
	}{
		{"correct", "东政发〔2024〕1号", nil, "", ""},
		{"correct, several, in a sentence", "根据国办发〔2023〕12号和京政发〔2024〕3号文件精神，", nil, "", ""},
		{"square brackets", "东政发[2024]1号", []string{"docno_brackets"}, "东政发[2024]1号", "东政发〔2024〕1号"},
		{"full-width round brackets", "东政发（2024）1号", []string{"docno_brackets"}, "东政发（2024）1号", "东政发〔2024〕1号"},
		{"ASCII round brackets", "东政发(2024)1号", []string{"docno_brackets"}, "东政发(2024)1号", "东政发〔2024〕1号"},
		{"lenticular brackets", "东政发【2024】1号", []string{"docno_brackets"}, "东政发【2024】1号", "东政发〔2024〕1号"},
		{"mismatched brackets", "东政发〔2024]1号", []string{"docno_brackets"}, "东政发〔2024]1号", "东政发〔2024〕1号"},
		{"第 before the serial", "东政发〔2024〕第1号", []string{"docno_serial_di"}, "东政发〔2024〕第1号", "东政发〔2024〕1号"},
		{"第 without prefix", "〔2024〕第1号", []string{"docno_serial_di"}, "〔2024〕第1号", "〔2024〕1号"},
		{"leading zero", "东政发〔2024〕01号", []string{"docno_leading_zero"}, "东政发〔2024〕01号", "东政发〔2024〕1号"},
		{"two-digit year", "东政发〔24〕1号", []string{"docno_year"}, "东政发〔24〕1号", "东政发〔2024〕1号"},
		{"spaces", "东政发〔 2024 〕1号", []string{"docno_spacing"}, "东政发〔 2024 〕1号", "东政发〔2024〕1号"},
		{"everything wrong at once", "东政发[24]第01号", []string{"docno_brackets", "docno_year", "docno_serial_di", "docno_leading_zero"}, "东政发[24]第01号", "东政发〔2024〕1号"},
		{"cited after 根据", "根据东政发[2024]1号文件", []string{"docno_brackets"}, "东政发[2024]1号", "东政发〔2024〕1号"},
		{"full-width digits are read", "东政发[２０２４]１号", []string{"docno_brackets"}, "东政发[２０２４]１号", "东政发〔2024〕1号"},
		{"three-digit year has no safe fix", "东政发〔202〕1号", []string{"docno_year"}, "东政发〔202〕1号", ""},
		{"court case number is not a document number", "（2023）京0105民初123号", nil, "", ""},
		{"enumeration is not a document number", "（2）3号楼", nil, "", ""},
		{"year in brackets without number", "（2024）年度报告", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := DocumentNumbers(tt.text)
			if got := codes(fs); !slices.Equal(got, tt.codes) {
				t.Fatalf("codes %v, want %v", got, tt.codes)
			}
			for _, f := range fs {
				if f.Severity != domain.SeverityWarn || f.Field != "" || f.Stage != domain.StageCompleteness {
					t.Errorf("got %+v", f)
				}
				if got := string([]rune(tt.text)[f.Start:f.End]); got != tt.target {
					t.Errorf("points at %q, want %q", got, tt.target)
				}
				if f.Suggestion != tt.suggestion {
					t.Errorf("suggestion %q, want %q", f.Suggestion, tt.suggestion)
				}
			}
		})
	}
}

func TestDocumentNumberSeverityByCategory(t *testing.T) {
	body := "现将有关事项通知如下（东政发[2024]1号），请认真贯彻执行。本办法自2024年4月1日起施行。"
	for _, tt := range []struct {
		category string
		sev      domain.Severity
	}{{"normative_document", domain.SeverityBlock}, {"news", domain.SeverityWarn}} {
		c := draft(tt.category, "东城区人民政府关于印发管理办法的通知", body)
		fs := withCode(Check(c, testToday), "docno_brackets")
		if len(fs) != 1 || fs[0].Severity != tt.sev || fs[0].Field != fieldBody || spanText(c, fs[0]) != "东政发[2024]1号" {
			t.Errorf("%s: got %v", tt.category, fs)
		}
	}
}

func FuzzDocumentNumbers(f *testing.F) {
	for _, s := range []string{"东政发〔2024〕1号", "根据东政发[24]第01号", "（2023）京0105民初123号", "〔 2024 〕\xff第 1 号", "[２０２４]１号"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := utf8.RuneCountInString(s)
		for _, f := range DocumentNumbers(s) {
			if f.Field != "" || f.Start < 0 || f.Start > f.End || f.End > n {
				t.Fatalf("bad finding %+v for %q (%d runes)", f, s, n)
			}
		}
	})
}

func TestEnforcementNumbers(t *testing.T) {
	for _, tt := range []struct {
		category, body string
		want           []string
	}{
		{"penalty", "京东建国罚字〔2024〕第0012号", nil},
		{"news", "京东建国罚字〔2024〕第0012号", nil},
		{"license", "京东市监许字〔2024〕第008号", nil},
		{"news", "京东市监许字〔2024〕第008号", []string{"docno_leading_zero", "docno_serial_di"}},
		{"penalty", "京东建国罚字[2024]第0012号", []string{"docno_brackets"}},
		{"penalty", "东政发〔2024〕第01号", []string{"docno_leading_zero", "docno_serial_di"}},
	} {
		c := draft(tt.category, "关于开展检查的通知", "现将有关事项通知如下。"+tt.body+"，请认真贯彻执行。")
		var got []string
		for _, f := range Check(c, testToday) {
			if strings.HasPrefix(f.Code, "docno_") {
				got = append(got, f.Code)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %s: %v, want %v", tt.category, tt.body, got, tt.want)
		}
	}
}

func TestDocumentNumberYears(t *testing.T) {
	c := draft("news", "关于转发文件的通知", "根据东政发〔2025〕1号、东政发〔2024〕2号和东政发〔2023〕3号文件，现予转发，请认真贯彻执行。")
	c.FormedOn = time.Date(2023, 12, 20, 0, 0, 0, 0, time.UTC)
	var got []string
	for _, f := range Check(c, testToday) {
		if strings.HasPrefix(f.Code, "docno_") {
			got = append(got, f.Code+" "+spanText(c, f))
		}
	}
	want := []string{"docno_year_future 东政发〔2025〕1号", "docno_year_after_formed 东政发〔2024〕2号"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestDocumentNumberAsWritten(t *testing.T) {
	// NFKC reads ﹝﹞ as 〔〕 and （） as (), but the finding judges and quotes
	// the brackets as written; a no-break space inside is seen.
	fs := DocumentNumbers("東政發﹝2024﹞1號，东政发（\u00a02024）2号")
	var got []string
	for _, f := range fs {
		got = append(got, f.Code+" "+f.Suggestion)
	}
	want := []string{"docno_brackets 東政發〔2024〕1号", "docno_brackets 东政发〔2024〕2号", "docno_spacing 东政发〔2024〕2号"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if len(fs) > 0 && !strings.Contains(fs[0].MessageZH, "﹝﹞") {
		t.Errorf("message %q does not quote the brackets as written", fs[0].MessageZH)
	}
}
