// Package attachments checks a draft's files: at stage 1, against the
// limits of the channels the draft names (domain.ChannelTable) and for the
// photo metadata removed at upload; at stage 3, the text of its documents
// with the confidentiality detectors and the word list, because an
// unredacted ID number in an attached PDF is the classic leak. A document
// whose text cannot be read (an OFD file, a scan) is a warning: a person
// must read it.
package attachments

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/bodyhtml"
	"github.com/sanshen-gov/sanshen/internal/checks/confidentiality"
	"github.com/sanshen-gov/sanshen/internal/checks/normal"
	"github.com/sanshen-gov/sanshen/internal/checks/words"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// FieldPrefix starts the Field of a finding in an attachment's text:
// "attachment:<name>".
const FieldPrefix = "attachment:"

// Finding codes.
const (
	CodeMetadataRemoved = "photo_metadata_removed"
	CodeUnchecked       = "attachment_unchecked"
	CodeCoverMissing    = "channel_cover_missing"
	CodeVideoMissing    = "channel_video_missing"
	CodeImageType       = "channel_image_type"
	CodeImageSize       = "channel_image_too_large"
	CodeCoverSize       = "channel_cover_too_large"
	CodeVideoLength     = "channel_video_too_long"
	CodeTitleLength     = "channel_title_too_long"
	CodeDigestLength    = "channel_digest_too_long"
	CodeBodyLength      = "channel_body_too_long"
	CodeBodyCut         = "channel_body_cut"
	CodeMassSend        = "channel_mass_send"
)

// placeholderURL stands for an image's address on a channel when the body
// is measured as the channel will receive it (WeChat's image URLs run to
// about this length).
var placeholderURL = "https://mmbiz.qpic.cn/mmbiz_jpg/" + strings.Repeat("x", 70) + "/0?wx_fmt=jpeg"

// Limits returns stage 1's findings on the files and the text against each
// named channel's limits (a file or a text over them blocks, since the
// channel would refuse it, and so does a missing cover or video where the
// channel needs one), and a warning for each photo that carried location
// or owner data, which stays on the draft as the record that it was removed.
func Limits(c domain.Content) []domain.Finding {
	var out []domain.Finding
	add := func(sev domain.Severity, code, zh, en string) {
		out = append(out, domain.Finding{Code: code, Severity: sev, Stage: domain.StageCompleteness, Start: -1, End: -1, MessageZH: zh, MessageEN: en})
	}
	for _, ch := range c.Channels {
		info := ch.Info()
		cover, hasCover := c.Cover()
		if n := utf8.RuneCountInString(c.Title); info.MaxTitle > 0 && n > info.MaxTitle {
			add(domain.SeverityBlock, CodeTitleLength, fmt.Sprintf("标题%d个字，超过%s的%d字上限，请缩短标题。", n, info.NameZH, info.MaxTitle),
				fmt.Sprintf("the title has %d characters, over the %s limit of %d", n, info.NameEN, info.MaxTitle))
		}
		if n := utf8.RuneCountInString(c.Digest); info.MaxDigest > 0 && n > info.MaxDigest {
			add(domain.SeverityBlock, CodeDigestLength, fmt.Sprintf("摘要%d个字，超过%s的%d字上限，请缩短摘要。", n, info.NameZH, info.MaxDigest),
				fmt.Sprintf("the digest has %d characters, over the %s limit of %d", n, info.NameEN, info.MaxDigest))
		}
		if info.MaxBody > 0 {
			n := utf8.RuneCountInString(string(bodyhtml.Render(c, func(domain.Attachment) string { return placeholderURL })))
			switch {
			case n < info.MaxBody:
			case ch == domain.ChannelWeChat && c.Has(domain.OptionWeChatReadMore):
				add(domain.SeverityWarn, CodeBodyCut, fmt.Sprintf("正文排版后约%d字，超过%s的%d字上限：按作者选择，将只发出正文前部，读者经“阅读原文”到政府网站看全文。", n, info.NameZH, info.MaxBody),
					fmt.Sprintf("the body comes to about %d characters, over the %s limit of %d: as the author chose, only its beginning goes out, with 阅读原文 leading to the full text on the website", n, info.NameEN, info.MaxBody))
			default:
				add(domain.SeverityBlock, CodeBodyLength, fmt.Sprintf("正文排版后约%d字，%s要求少于%d字。请精简正文，或选择“超长正文以‘阅读原文’链接全文”，或只发布到政府网站和门户网站。", n, info.NameZH, info.MaxBody),
					fmt.Sprintf("the body comes to about %d characters as %s receives it; it must be under %d (or choose the read-more option)", n, info.NameEN, info.MaxBody))
			}
		}
		if info.CoverRequired && !hasCover {
			add(domain.SeverityBlock, CodeCoverMissing, fmt.Sprintf("发布到%s需要一张封面图片，本稿件没有封面。", info.NameZH),
				fmt.Sprintf("%s needs a cover image; the draft has none", info.NameEN))
		}
		if info.VideoRequired && !slices.ContainsFunc(c.Attachments, func(a domain.Attachment) bool { return a.Role == domain.RoleVideo }) {
			add(domain.SeverityBlock, CodeVideoMissing, fmt.Sprintf("%s发布的是视频，本稿件没有视频附件。", info.NameZH),
				fmt.Sprintf("an item on %s is a video; the draft has none", info.NameEN))
		}
		if hasCover && info.MaxCoverBytes > 0 && cover.Size > info.MaxCoverBytes {
			add(domain.SeverityBlock, CodeCoverSize, fmt.Sprintf("封面「%s」大小为 %s，超过%s的 %s 上限。", cover.Name, mb(cover.Size), info.NameZH, mb(info.MaxCoverBytes)),
				fmt.Sprintf("the cover %q is %s, over the %s limit of %s", cover.Name, mb(cover.Size), info.NameEN, mb(info.MaxCoverBytes)))
		}
		for _, a := range c.Attachments {
			switch a.Role {
			case domain.RoleImage:
				if len(info.ImageTypes) > 0 && !slices.Contains(info.ImageTypes, a.MediaType) {
					add(domain.SeverityBlock, CodeImageType, fmt.Sprintf("正文图片「%s」是 %s 格式，%s只接受 %s。", a.Name, a.MediaType, info.NameZH, strings.Join(info.ImageTypes, "、")),
						fmt.Sprintf("the image %q is %s; %s takes only %s", a.Name, a.MediaType, info.NameEN, strings.Join(info.ImageTypes, ", ")))
				}
				if info.MaxImageBytes > 0 && a.Size > info.MaxImageBytes {
					add(domain.SeverityBlock, CodeImageSize, fmt.Sprintf("正文图片「%s」大小为 %s，超过%s的 %s 上限，请压缩后重新上传。", a.Name, mb(a.Size), info.NameZH, mb(info.MaxImageBytes)),
						fmt.Sprintf("the image %q is %s, over the %s limit of %s", a.Name, mb(a.Size), info.NameEN, mb(info.MaxImageBytes)))
				}
			case domain.RoleVideo:
				if d := time.Duration(a.DurationMS) * time.Millisecond; info.MaxVideo > 0 && d > info.MaxVideo {
					add(domain.SeverityBlock, CodeVideoLength, fmt.Sprintf("视频「%s」时长 %s，超过%s的 %s 上限。", a.Name, d.Round(time.Second), info.NameZH, info.MaxVideo),
						fmt.Sprintf("the video %q runs %s, over the %s limit of %s", a.Name, d.Round(time.Second), info.NameEN, info.MaxVideo))
				}
			}
		}
	}
	if c.Has(domain.OptionWeChatMassSend) {
		add(domain.SeverityWarn, CodeMassSend, "本稿件将在微信公众号“群发”给全部关注者：占用公众号每日群发次数，发出后本系统不能撤回，须在公众平台手工删除。请审核人确认确需群发。",
			"the article will be mass-sent (群发) to every follower of the official account: it uses the account's daily mass-send quota, and sanshen cannot take it back once sent")
	}
	for _, a := range c.Attachments {
		if what, whatEN := Stripped(a.Stripped); len(what) > 0 {
			add(domain.SeverityWarn, CodeMetadataRemoved,
				fmt.Sprintf("图片「%s」上传时含有%s信息，已删除；公开的文件不含这些信息。请确认图片本身不泄露位置或个人信息。", a.Name, strings.Join(what, "、")),
				fmt.Sprintf("the image %q carried %s when uploaded; that was removed, and the published file does not hold it", a.Name, strings.Join(whatEN, ", ")))
		}
	}
	return out
}

// Stripped names, in Chinese and English, the personal data among what
// media.Inspect removed from a photo (its location, owner, camera serial);
// the rest (Exif, XMP, comments) is not personal and goes unnamed.
func Stripped(stripped []string) (zh, en []string) {
	for _, s := range stripped {
		switch s {
		case "gps":
			zh, en = append(zh, "拍摄地点（GPS）"), append(en, "its location (GPS)")
		case "owner":
			zh, en = append(zh, "作者或所有者"), append(en, "its owner or author")
		case "camera_serial":
			zh, en = append(zh, "相机序列号"), append(en, "the camera's serial number")
		}
	}
	return zh, en
}

// Texts returns stage 3's findings on the documents: the confidentiality
// detectors and the word list on each readable text (Field
// "attachment:<name>", offsets into that text), and a warning for each
// document no machine can read.
func Texts(c domain.Content, matchers []*words.Matcher) []domain.Finding {
	var out []domain.Finding
	for _, a := range c.Attachments {
		if a.Role != domain.RoleDocument {
			continue
		}
		field := FieldPrefix + a.Name
		if !a.TextReadable {
			out = append(out, domain.Finding{Code: CodeUnchecked, Severity: domain.SeverityWarn, Stage: domain.StageConfidentiality,
				Field: field, Start: -1, End: -1,
				MessageZH: fmt.Sprintf("附件「%s」（%s）无法机器检查（OFD 文件或无文字层的扫描件），请人工阅读全文后再决定。", a.Name, a.MediaType),
				MessageEN: fmt.Sprintf("the attachment %q (%s) is not machine-checked (an OFD file or a scan without text): read it", a.Name, a.MediaType)})
			continue
		}
		for _, f := range confidentiality.CheckPrepared(normal.New(""), normal.New(a.Text)) {
			f.Field = field
			f.MessageZH = fmt.Sprintf("附件「%s」：%s", a.Name, f.MessageZH)
			f.MessageEN = fmt.Sprintf("attachment %q: %s", a.Name, f.MessageEN)
			out = append(out, f)
		}
		for _, m := range matchers {
			for _, f := range words.Check(m, domain.Content{Body: a.Text}) {
				f.Field = field
				f.MessageZH = fmt.Sprintf("附件「%s」：%s", a.Name, f.MessageZH)
				f.MessageEN = fmt.Sprintf("attachment %q: %s", a.Name, f.MessageEN)
				out = append(out, f)
			}
		}
	}
	return out
}

// Excerpt is the text around a finding in an attachment, for a reviewer
// who cannot see the attachment highlighted: up to n characters each side.
func Excerpt(text string, start, end, n int) string {
	rs := []rune(text)
	if start < 0 || end > len(rs) || start >= end {
		return ""
	}
	from, to := max(0, start-n), min(len(rs), end+n)
	return strings.Join(strings.Fields(string(rs[from:to])), " ")
}

func mb(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}
