package domain

import (
	"slices"
	"time"
)

// Channel is where a published draft goes.
type Channel string

// The publication channels.
const (
	ChannelWebsite Channel = "website" // the agency's public column, served by sanshen
	ChannelPortal  Channel = "portal"  // pushed to the district portal's content API
	ChannelWeChat  Channel = "wechat"  // the official account, free-publish API
	ChannelDouyin  Channel = "douyin"  // the agency's Douyin account, video API
	// ChannelApplicant is a reply's delivery to the applicant who asked
	// (e-mail, post or collection, recorded by staff): never public.
	ChannelApplicant Channel = "applicant"
)

// ChannelInfo is what sanshen knows of a channel: its names, whether an
// item can be taken back from it, and the media it takes (checked at stage
// 1 for drafts bound to it). Every other list of channels derives from
// ChannelTable.
type ChannelInfo struct {
	Code   Channel
	NameZH string
	NameEN string
	// Deletes: withdrawing an item can remove it from the channel by an
	// API call. Where it cannot, a withdrawal leaves a task for a person.
	Deletes bool
	// CoverRequired: the channel shows no item without a cover image.
	CoverRequired bool
	// VideoRequired: an item on the channel is a video.
	VideoRequired bool
	// ImageTypes are the image types the channel takes in a body (nil: any
	// type sanshen accepts); MaxImageBytes and MaxCoverBytes bound an image
	// in the body and the cover (0: sanshen's own upload limit).
	ImageTypes    []string
	MaxImageBytes int64
	MaxCoverBytes int64
	// MaxVideo bounds a video's duration (0: no bound).
	MaxVideo time.Duration
	// MaxTitle and MaxDigest bound the title and the digest in characters;
	// MaxBody bounds the body as the channel receives it (WeChat: the HTML,
	// exclusive). 0: no bound.
	MaxTitle, MaxDigest, MaxBody int
	// Source cites where the limits come from.
	Source string
	// Private: nothing on it is public (the applicant's reply); the
	// draft form does not offer it, and only its own category uses it.
	Private bool
}

// ChannelTable lists every channel, in the order forms and pages show them.
var ChannelTable = []ChannelInfo{
	{Code: ChannelWebsite, NameZH: "政府网站", NameEN: "the agency's website column", Deletes: true},
	{Code: ChannelPortal, NameZH: "区政府门户网站", NameEN: "the district portal", Deletes: true,
		Source: "docs/portal.md (sanshen's portal contract)"},
	{Code: ChannelWeChat, NameZH: "微信公众号", NameEN: "WeChat official account", Deletes: true, CoverRequired: true,
		ImageTypes: []string{"image/jpeg", "image/png"}, MaxImageBytes: 1 << 20, MaxCoverBytes: 10 << 20,
		MaxTitle: 32, MaxDigest: 128, MaxBody: 20000,
		Source: "CHANNELS.md §1: uploadimg jpg/png under 1 MB; add_material images 10 MB; thumb_media_id required for news; title ≤ 32, digest ≤ 128, content under 20,000 characters"},
	{Code: ChannelDouyin, NameZH: "抖音", NameEN: "Douyin", VideoRequired: true, MaxVideo: 15 * time.Minute, MaxTitle: 1000,
		Source: "CHANNELS.md §2: video ≤ 15 min; text (the title with its topics) ≤ 1000 characters; no v1 delete endpoint is documented"},
	{Code: ChannelApplicant, NameZH: "送达申请人", NameEN: "delivery to the applicant", Private: true},
}

// FormChannels lists the channels a draft form offers: every channel but
// the private ones.
var FormChannels = func() []Channel {
	var out []Channel
	for _, c := range ChannelTable {
		if !c.Private {
			out = append(out, c.Code)
		}
	}
	return out
}()

// CheckReplyChannels holds a reply to its channel: a draft of category
// CategoryApplicationReply goes only to ChannelApplicant, and nothing else
// goes there.
func CheckReplyChannels(c Content) error {
	reply := c.Category == CategoryApplicationReply
	to := slices.Contains(c.Channels, ChannelApplicant)
	if reply != to || to && len(c.Channels) > 1 {
		return refuse(RuleReplyChannel, "a reply to an application (category %s) goes only to the channel %s, and nothing else does", CategoryApplicationReply, ChannelApplicant)
	}
	return nil
}

// Channels lists every channel's code.
var Channels = func() []Channel {
	out := make([]Channel, len(ChannelTable))
	for i, c := range ChannelTable {
		out[i] = c.Code
	}
	return out
}()

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return slices.Contains(Channels, c) }

// Info is the channel's row of ChannelTable (the zero ChannelInfo for an
// unknown code).
func (c Channel) Info() ChannelInfo {
	for _, ci := range ChannelTable {
		if ci.Code == c {
			return ci
		}
	}
	return ChannelInfo{}
}

// WithdrawalCode says why a published item was taken down; channels that
// take a reason get it, and the public page of a withdrawn item names it.
type WithdrawalCode string

// The withdrawal codes.
const (
	WithdrawExpired    WithdrawalCode = "expired"    // its publication period ended
	WithdrawRevoked    WithdrawalCode = "revoked"    // the decision behind it was revoked
	WithdrawSuperseded WithdrawalCode = "superseded" // a newer item replaces it
	WithdrawError      WithdrawalCode = "error"      // it was published in error
	WithdrawOther      WithdrawalCode = "other"
)

// WithdrawalCodes lists every code, in the order forms show them.
var WithdrawalCodes = []WithdrawalCode{WithdrawError, WithdrawSuperseded, WithdrawRevoked, WithdrawExpired, WithdrawOther}

// Valid reports whether c is a known code.
func (c WithdrawalCode) Valid() bool { return slices.Contains(WithdrawalCodes, c) }
