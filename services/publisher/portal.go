package publisher

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/bodyhtml"
	"github.com/sanshen-gov/sanshen/internal/channels/portal"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// Portal pushes items to the district portal's content API (docs/portal.md).
// Every write carries an idempotency key per (draft, revision, channel), so
// a send whose answer was lost is simply made again: the portal answers it
// as the first time and nothing is pushed twice.
type Portal struct {
	Client *portal.Client
	Store  *store.Store
	// PublicURL is sanshen's public address: the item's own page and its
	// files, which the portal fetches, are under it.
	PublicURL string
	// Installation names this sanshen in the idempotency keys (the public
	// URL's host by default), so that two installations feeding one portal
	// never share a key.
	Installation string
	Now          func() time.Time
}

// UseStore gives the adapter its store when it has none (an adapter made
// before sanshen started, in tests).
func (p *Portal) UseStore(s *store.Store) {
	if p.Store == nil {
		p.Store = s
	}
}

// Configured is true: a Portal is only made with a client.
func (p *Portal) Configured() bool { return p.Client != nil }

// Internal is false: the portal is another system.
func (p *Portal) Internal() bool { return false }

// Idempotent is true: a repeated write with the same key changes nothing.
func (p *Portal) Idempotent() bool { return true }

// Retryable reports whether a failed push may succeed if made again later
// (the portal was down or answered 5xx or 429 on every attempt).
func (p *Portal) Retryable(err error) bool {
	var pe *portal.Error
	return errors.As(err, &pe) && pe.Retryable
}

// Key is the idempotency key of a write to the portal.
func (p *Portal) Key(draftID int64, revision int, suffix string) string {
	inst := p.Installation
	if inst == "" {
		if u, err := url.Parse(p.PublicURL); err == nil && u.Host != "" {
			inst = u.Host
		} else {
			inst = "sanshen"
		}
	}
	k := fmt.Sprintf("sanshen:%s:%d:%d:%s", inst, draftID, revision, domain.ChannelPortal)
	if suffix != "" {
		k += ":" + suffix
	}
	return k
}

// Deliver pushes the revision and returns the portal's item URL and id.
func (p *Portal) Deliver(ctx context.Context, draftID int64, revision int, c domain.Content) (string, string, error) {
	it, err := p.Item(ctx, draftID, revision, c)
	if err != nil {
		return "", "", err
	}
	// A correction replaces the portal's item in place (PUT), with the
	// same idempotency key on every try; only a draft new to the portal is
	// created.
	e, corrects, err := p.Store.EarlierPublication(ctx, draftID, revision, domain.ChannelPortal)
	if err != nil {
		return "", "", err
	}
	if !corrects {
		r, err := p.Client.Create(ctx, p.Key(draftID, revision, ""), it)
		if err != nil {
			return "", "", err
		}
		return r.URL, r.ID, nil
	}
	r, err := p.Client.Update(ctx, e.ExternalID, p.Key(draftID, revision, ""), it)
	if err != nil {
		return "", "", err
	}
	if err := p.Store.MarkReplaced(ctx, draftID, e.Revision, revision, domain.ChannelPortal, false, "updated in place: "+r.URL); err != nil {
		return "", "", err
	}
	return r.URL, r.ID, nil
}

// Withdraw deletes the item from the portal; gone reports that it was not
// there any more.
func (p *Portal) Withdraw(ctx context.Context, draftID int64, revision int, externalID, reason, note string) (gone bool, err error) {
	return p.Client.Delete(ctx, externalID, p.Key(draftID, revision, "delete"), reason, note)
}

// Item is the revision as the portal's payload.
func (p *Portal) Item(ctx context.Context, draftID int64, revision int, c domain.Content) (portal.Item, error) {
	agencyID, err := p.Store.DraftAgency(ctx, draftID)
	if err != nil {
		return portal.Item{}, err
	}
	a, err := p.Store.Agency(ctx, agencyID)
	if err != nil {
		return portal.Item{}, err
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	base := strings.TrimSuffix(p.PublicURL, "/")
	it := portal.Item{Source: "sanshen", Agency: portal.Agency{Slug: a.Slug, Name: a.Name}, DraftID: draftID, Revision: revision,
		Title: c.Title, Digest: c.Digest, Category: c.Category, Department: c.Department,
		FormedOn: c.FormedOn.Format(portal.DateLayout), PublishedAt: now().In(domain.Beijing).Format(portal.TimeLayout),
		BodyHTML:  string(bodyhtml.Render(c, func(x domain.Attachment) string { return fileURL(base, x) })),
		BodyText:  bodyhtml.Text(c),
		SourceURL: fmt.Sprintf("%s/public/%s/items/%d", base, a.Slug, draftID), Correction: c.Correction}
	if !c.ExpiresOn.IsZero() {
		it.ExpiresOn = c.ExpiresOn.Format(portal.DateLayout)
	}
	for _, x := range c.Attachments {
		pa := portal.Attachment{Name: x.Name, MediaType: x.MediaType, Size: x.Size, SHA256: x.SHA256, Role: string(x.Role),
			URL: fileURL(base, x), Width: x.Width, Height: x.Height, DurationSeconds: int((x.DurationMS + 999) / 1000)}
		if x.Role == domain.RoleCover {
			it.Cover = &pa
			continue
		}
		it.Attachments = append(it.Attachments, pa)
	}
	return it, nil
}

// fileURL is where the public, and the portal, fetch a published file.
func fileURL(base string, a domain.Attachment) string {
	return base + a.PublicPath()
}
