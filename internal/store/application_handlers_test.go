package store_test

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// formatVerb is a fmt verb, with its flags and argument index.
var formatVerb = regexp.MustCompile(`%(\[[0-9]+\])?[-+# 0-9.]*[a-zA-Z%]`)

func hasHan(s string) bool {
	return slices.ContainsFunc([]rune(s), func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// Every refusal of a case's input is written in Chinese as well as in
// English: each invalidCase call in the store's sources gives a Chinese
// message (Han characters, no Latin word outside its format verbs) and an
// English one, with as many verbs each.
func TestApplicationRefusalsHaveChinese(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	calls := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			// invalidField's messages follow the field's name.
			id, ok := call.Fun.(*ast.Ident)
			if !ok || id.Name != "invalidCase" && id.Name != "invalidField" {
				return true
			}
			first := 0
			if id.Name == "invalidField" {
				first = 1
			}
			calls++
			pos := fset.Position(call.Pos())
			if len(call.Args) < first+2 {
				t.Errorf("%s: %s without its two messages", pos, id.Name)
				return true
			}
			var msgs [2]string
			for i := range msgs {
				lit, ok := call.Args[first+i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Errorf("%s: message %d is not a literal", pos, i)
					return true
				}
				msgs[i], _ = strconv.Unquote(lit.Value)
			}
			zh, en := msgs[0], msgs[1]
			if bare := formatVerb.ReplaceAllString(zh, ""); !hasHan(zh) || strings.ContainsFunc(bare, func(r rune) bool { return r < 128 && unicode.IsLetter(r) }) {
				t.Errorf("%s: the Chinese message %q is not Chinese", pos, zh)
			}
			if hasHan(formatVerb.ReplaceAllString(strings.ReplaceAll(en, "补正", ""), "")) && !strings.Contains(en, "补正") {
				t.Errorf("%s: the English message %q is Chinese", pos, en)
			}
			if a, b := len(formatVerb.FindAllString(zh, -1)), len(formatVerb.FindAllString(en, -1)); a != b && !strings.Contains(zh, "%[") {
				t.Errorf("%s: %d verbs in %q, %d in %q", pos, a, zh, b, en)
			}
			return true
		})
	}
	if calls < 40 {
		t.Fatalf("found only %d invalidCase and invalidField calls: the scan no longer sees them", calls)
	}
}

// The refusal a person met on the case page — a date before the
// application was received — names the problem in Chinese, the English
// detail apart; so does a refusal of the clock's state and of the role.
func TestApplicationRefusalInChinese(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testenv.Store(t)
	h := newHandler(t, s)
	cal := calendar.Official()
	a, err := s.AddApplication(ctx, h, store.NewApplication{Route: domain.RouteLetter, ApplicantType: domain.ApplicantNatural,
		ApplicantName: "张三", Description: "本街道2025年预算执行情况", ReceivedOn: day(t, "2025-09-15")}, noonOn(t, "2025-09-16"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.ActOnApplication(ctx, cal, h, a.ID, store.CaseAct{Action: domain.CaseRecordOutcome, Outcome: "disclosed", On: day(t, "2020-01-01")},
		noonOn(t, "2025-09-16"))
	var r *domain.Refusal
	if !errors.As(err, &r) || r.Rule != domain.RuleCaseInput {
		t.Fatalf("a date before the receipt: %v", err)
	}
	if r.MessageZH != "日期2020-01-01早于收到申请之日（2025-09-15）：请填写收到申请当天或之后的日期。" ||
		!strings.Contains(r.Message, "before the application was received") {
		t.Fatalf("the refusal: %+v", r)
	}
	_, err = s.ActOnApplication(ctx, cal, h, a.ID, store.CaseAct{Action: domain.CaseSupplementArrived}, noonOn(t, "2025-09-16"))
	if !errors.As(err, &r) || r.Rule != domain.RuleNoSuchTransition || r.MessageZH != "申请处于“已收到”状态，不能记录收到补正。" {
		t.Fatalf("a transition refused: %+v", err)
	}
	officer := domain.Actor{ID: 99, Name: "信息员", AgencyID: 1, Roles: []domain.Role{domain.RoleOfficer}}
	_, err = s.ActOnApplication(ctx, cal, officer, a.ID, store.CaseAct{Action: domain.CaseClose}, noonOn(t, "2025-09-16"))
	if !errors.As(err, &r) || r.Rule != domain.RuleRole || !hasHan(r.MessageZH) {
		t.Fatalf("an officer refused: %+v", err)
	}
}

// A case's handlers: the person who took it in; others assigned by the
// head of the 政府信息公开工作机构 (not by a handler), only among the
// agency's enabled case handlers; a case without a handler taken by a case
// handler, one with handlers not; each change in the case's chain. Only
// the case's handlers add and read its identity documents: another
// handler of the agency, the head and an admin are refused (audited), a
// handler removed is refused from then on. The queue shows each person
// their own cases.
func TestCaseHandlersAndIdentity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testenv.Store(t)
	cal := calendar.Official()
	h1 := newHandler(t, s)
	u2, _, err := s.AddUser(ctx, admin, store.NewUser{Name: "承办人乙", Roles: []domain.Role{domain.RoleCaseHandler}})
	if err != nil {
		t.Fatal(err)
	}
	h2 := u2.Actor()
	head := newHead(t, s)
	officer, _, err := s.AddUser(ctx, admin, store.NewUser{Name: "信息员甲", Roles: []domain.Role{domain.RoleOfficer}})
	if err != nil {
		t.Fatal(err)
	}
	gone, _, err := s.AddUser(ctx, admin, store.NewUser{Name: "已调离承办人", Roles: []domain.Role{domain.RoleCaseHandler}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, admin, gone.ID, true); err != nil {
		t.Fatal(err)
	}
	blobs := &memBlobs{m: map[string][]byte{}}
	now := noonOn(t, "2025-09-16")
	letter, err := s.AddApplication(ctx, h1, store.NewApplication{Route: domain.RouteLetter, ApplicantType: domain.ApplicantNatural,
		ApplicantName: "张三", Description: "本街道2025年预算执行情况", ReceivedOn: day(t, "2025-09-15")}, now)
	if err != nil {
		t.Fatal(err)
	}
	online, err := s.AddApplication(ctx, store.PublicApplicant(1), store.NewApplication{Route: domain.RouteOnline, ApplicantType: domain.ApplicantNatural,
		ApplicantName: "李四", Description: "本街道2025年低保资金发放情况"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(letter.Handlers) != 1 || letter.Handlers[0].UserID != h1.ID || letter.Handlers[0].Name != h1.Name || len(online.Handlers) != 0 {
		t.Fatalf("the handlers at intake: %+v, %+v", letter.Handlers, online.Handlers)
	}
	act := func(by domain.Actor, id int64, x store.CaseAct) (store.Application, error) {
		return s.ActOnApplication(ctx, cal, by, id, x, now)
	}
	data := "张三's ID card"
	doc, err := s.AddApplicationDocument(ctx, h1, letter.ID, store.NewApplicationDocument{SHA256: sumOf(data), Name: "身份证.jpg",
		ContentType: "image/jpeg", Size: int64(len(data))}, blobs.put(sumOf(data), []byte(data)), now)
	if err != nil {
		t.Fatal(err)
	}
	read := func(by domain.Actor, id int64) error {
		_, err := s.ReadApplicationDocument(ctx, by, id, doc.ID)
		return err
	}
	if err := read(h1, letter.ID); err != nil {
		t.Fatalf("the case's handler: %v", err)
	}
	// Another handler, the head, an admin holding the role too: not this case's.
	au, _, err := s.AddUser(ctx, admin, store.NewUser{Name: "管理员兼承办", Roles: []domain.Role{domain.RoleAdmin, domain.RoleCaseHandler}})
	if err != nil {
		t.Fatal(err)
	}
	adminHandler := au.Actor()
	for _, by := range []domain.Actor{h2, head, adminHandler} {
		refusedAs(t, read(by, letter.ID), domain.RuleNotCaseHandler)
		_, err := s.AddApplicationDocument(ctx, by, letter.ID, store.NewApplicationDocument{SHA256: sumOf("x"), Name: "x.png", ContentType: "image/png", Size: 1},
			blobs.put(sumOf("x"), []byte("x")), now)
		refusedAs(t, err, domain.RuleNotCaseHandler)
		refusedAs(t, s.MayAddApplicationDocument(ctx, by, letter.ID), domain.RuleNotCaseHandler)
	}
	refusedAs(t, read(admin, letter.ID), domain.RuleRole)
	var denied int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'denied:application_document_read' AND actor_id = $1 AND reason = $2`,
		h2.ID, domain.RuleNotCaseHandler).Scan(&denied); err != nil || denied != 1 {
		t.Fatalf("the other handler's attempt in the trail: %d %v", denied, err)
	}
	if got, err := s.Application(ctx, h1, letter.ID); err != nil || len(got.Documents) != 1 {
		t.Fatalf("a refused upload was recorded: %+v %v", got.Documents, err)
	}

	// Handlers: a handler neither joins a case that has one nor assigns.
	_, err = act(h2, letter.ID, store.CaseAct{Action: domain.CaseTake})
	refusedAs(t, err, domain.RuleCaseInput)
	_, err = act(h2, letter.ID, store.CaseAct{Action: domain.CaseAssignHandler, HandlerID: h2.ID})
	refusedAs(t, err, domain.RuleRole)
	for _, who := range []int64{officer.ID, gone.ID, 0, h1.ID, 999999} {
		_, err = act(head, letter.ID, store.CaseAct{Action: domain.CaseAssignHandler, HandlerID: who})
		refusedAs(t, err, domain.RuleCaseInput)
	}
	a, err := act(head, letter.ID, store.CaseAct{Action: domain.CaseAssignHandler, HandlerID: h2.ID})
	if err != nil || !a.HandledBy(h2.ID) || !a.HandledBy(h1.ID) {
		t.Fatalf("assigned: %+v %v", a.Handlers, err)
	}
	if err := read(h2, letter.ID); err != nil {
		t.Fatalf("the assigned handler: %v", err)
	}
	// An admin removes the first: their reads end there.
	if a, err = act(admin, letter.ID, store.CaseAct{Action: domain.CaseRemoveHandler, HandlerID: h1.ID}); err != nil || a.HandledBy(h1.ID) {
		t.Fatalf("removed: %+v %v", a.Handlers, err)
	}
	refusedAs(t, read(h1, letter.ID), domain.RuleNotCaseHandler)
	_, err = act(admin, letter.ID, store.CaseAct{Action: domain.CaseRemoveHandler, HandlerID: h1.ID})
	refusedAs(t, err, domain.RuleCaseInput)
	// The online case has none: a handler takes it; an admin cannot.
	_, err = act(admin, online.ID, store.CaseAct{Action: domain.CaseTake})
	refusedAs(t, err, domain.RuleRole)
	if a, err = act(h1, online.ID, store.CaseAct{Action: domain.CaseTake}); err != nil || !a.HandledBy(h1.ID) {
		t.Fatalf("taken: %+v %v", a.Handlers, err)
	}
	_, err = act(h2, online.ID, store.CaseAct{Action: domain.CaseTake})
	refusedAs(t, err, domain.RuleCaseInput)

	// The trail: who was assigned, removed, took, by whom.
	evs, err := s.ChainEvents(ctx, audit.ApplicationChain(letter.ID))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s %d %s", e.Action, e.ActorID, e.Comment))
	}
	want := []string{
		fmt.Sprintf("application_handler_assigned %d handler=%d %s intake", h1.ID, h1.ID, h1.Name),
		fmt.Sprintf("application_handler_assigned %d handler=%d %s", head.ID, h2.ID, h2.Name),
		fmt.Sprintf("application_handler_removed 0 handler=%d %s", h1.ID, h1.Name),
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("the letter's trail lacks %q: %q", w, got)
		}
	}
	if acts := chainActions(t, s, audit.ApplicationChain(online.ID)); countOf(acts, "application_taken") != 1 {
		t.Errorf("the online case's trail: %v", acts)
	}

	// The queue: each person's own cases.
	for _, tc := range []struct {
		who  domain.Actor
		want []int64
	}{{h1, []int64{online.ID}}, {h2, []int64{letter.ID}}, {head, nil}} {
		list, err := s.Applications(ctx, tc.who, store.CaseQuery{Mine: true})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, a := range list {
			ids = append(ids, a.ID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("%s's cases: %v, want %v", tc.who.Name, ids, tc.want)
		}
	}
	all, err := s.Applications(ctx, head, store.CaseQuery{})
	if err != nil || len(all) != 2 || len(all[0].Handlers)+len(all[1].Handlers) != 2 {
		t.Fatalf("the queue with its handlers: %+v %v", all, err)
	}
	if res, err := s.VerifyAgency(ctx, 1); err != nil || !res.OK {
		t.Fatalf("verify: %+v %v", res, err)
	}
}
