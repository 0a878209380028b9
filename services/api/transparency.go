package api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// The transparency log's public side (/public/transparency/): its signed
// tree heads, for anyone to keep copies of, and consistency proofs between
// any two sizes, so a holder of an old head can check that today's log
// extends it. Inclusion proofs, which name events, are for auditors
// (GET /api/v1/audit/proof).

// headJSON is a signed head as published.
type headJSON struct {
	Size int64     `json:"size"`
	Root string    `json:"root"` // base64, as the checkpoint writes it
	Time time.Time `json:"time"`
	Note string    `json:"checkpoint"`
}

func toHeadJSON(h store.StoredHead) headJSON {
	return headJSON{Size: h.Size, Root: h.RootBase64(), Time: h.Time, Note: h.Note}
}

// publicHeads lists the heads, newest first, with the log's name and key.
func (s *Server) publicHeads(c echo.Context) error {
	hs, err := s.Store.Heads(c.Request().Context(), 1000)
	if err != nil {
		return err
	}
	out := make([]headJSON, len(hs))
	for i, h := range hs {
		out[i] = toHeadJSON(h)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=10")
	return c.JSON(http.StatusOK, map[string]any{"origin": s.LogOrigin, "verifier_key": s.LogVerifierKey, "heads": out})
}

// publicCheckpoint is the newest signed head, as a C2SP checkpoint: what a
// witness fetches and keeps.
func (s *Server) publicCheckpoint(c echo.Context) error {
	h, err := s.Store.LatestHead(c.Request().Context())
	if errors.Is(err, store.ErrNotFound) {
		// Text, as the head would be: a witness reads the status, a person
		// who opens the link reads why (never a JSON error saved as the head).
		c.Response().Header().Set("Cache-Control", "no-store")
		// Both languages: a witness program reads neither, a person either.
		zh, en := publicWords{lang: publicZH}, publicWords{lang: publicEN}
		return c.String(http.StatusNotFound, zh.T("public.no_head_yet")+"\n"+en.T("public.no_head_yet")+"\n")
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=10")
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(h.Note))
}

// publicConsistency proves that the log at size to extends the log at size
// from: ?from=&to= (to: the newest head's size when left out).
func (s *Server) publicConsistency(c echo.Context) error {
	ctx := c.Request().Context()
	from, err1 := strconv.ParseInt(c.QueryParam("from"), 10, 64)
	to, err2 := strconv.ParseInt(c.QueryParam("to"), 10, 64)
	if c.QueryParam("to") == "" {
		h, err := s.Store.LatestHead(ctx)
		if err != nil {
			return err
		}
		to, err2 = h.Size, nil
	}
	if err1 != nil || err2 != nil {
		return fail(http.StatusBadRequest, "invalid_size", "from and to are tree sizes, whole numbers")
	}
	fr, tr, proof, err := s.Store.ProveConsistency(ctx, from, to)
	if errors.Is(err, store.ErrNotInLog) {
		return fail(http.StatusNotFound, "not_in_log", "%v", err)
	}
	if err != nil {
		return err
	}
	ps := make([]string, len(proof))
	for i, h := range proof {
		ps[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return c.JSON(http.StatusOK, map[string]any{"from": from, "to": to,
		"from_root": base64.StdEncoding.EncodeToString(fr[:]), "to_root": base64.StdEncoding.EncodeToString(tr[:]), "proof": ps})
}

// publicHeadsFeed is a JSON Feed of the signed heads.
func (s *Server) publicHeadsFeed(c echo.Context) error {
	hs, err := s.Store.Heads(c.Request().Context(), 100)
	if err != nil {
		return err
	}
	w := wordsOf(c)
	items := make([]map[string]any, len(hs))
	for i, h := range hs {
		items[i] = map[string]any{"id": strconv.FormatInt(h.Size, 10), "title": w.T("public.transparency.feed_item", h.Size),
			"content_text": h.Note, "date_published": h.Time, "url": w.Link(s.PublicURL + "/public/transparency/")}
	}
	c.Response().Header().Set("Content-Type", "application/feed+json; charset=utf-8")
	return c.JSON(http.StatusOK, map[string]any{"version": "https://jsonfeed.org/version/1.1", "title": w.T("public.transparency.feed_title"),
		"home_page_url": w.Link(s.PublicURL + "/public/transparency/"), "feed_url": w.Link(s.PublicURL + "/public/transparency/feed.json"),
		"language": w.T("public.html_lang"), "items": items})
}

// transparencyPage explains the log to an inspector and shows its heads.
func (s *Server) transparencyPage(c echo.Context) error {
	hs, err := s.Store.Heads(c.Request().Context(), 50)
	if err != nil {
		return err
	}
	out := make([]headJSON, len(hs))
	for i, h := range hs {
		out[i] = toHeadJSON(h)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=10")
	return s.render(c, http.StatusOK, "transparency", map[string]any{"Title": wordsOf(c).T("public.transparency.page_title"), "Origin": s.LogOrigin,
		"Key": s.LogVerifierKey, "Heads": out, "Feed": "/public/transparency/feed.json"})
}

// auditProof proves that an event is in the log: ?seq=N[&size=M], for the
// agency's auditors and admins and platform admins.
func (s *Server) auditProof(c echo.Context) error {
	a := user(c).Actor()
	if domain.CanAudit(a, a.AgencyID) != nil && domain.CanManagePlatform(a) != nil {
		return &domain.Refusal{Rule: domain.RuleRole, Message: "an inclusion proof is for auditors, admins and platform admins"}
	}
	seq, err := strconv.ParseInt(c.QueryParam("seq"), 10, 64)
	if err != nil || seq < 1 {
		return fail(http.StatusBadRequest, "invalid_seq", "seq is an audit event's number, a positive whole number")
	}
	var size int64
	if q := c.QueryParam("size"); q != "" {
		if size, err = strconv.ParseInt(q, 10, 64); err != nil || size < 1 {
			return fail(http.StatusBadRequest, "invalid_size", "size is a tree size, a positive whole number")
		}
	}
	// An agency's auditors and admins prove their agency's events; the
	// platform's admins any event.
	agency := a.AgencyID
	if domain.CanManagePlatform(a) == nil {
		agency = 0
	}
	p, err := s.Store.ProveInclusion(c.Request().Context(), seq, size, agency)
	if errors.Is(err, store.ErrNotInLog) {
		return fail(http.StatusNotFound, "not_in_log", "%v", err)
	}
	if err != nil {
		return err
	}
	ps := make([]string, len(p.Proof))
	for i, h := range p.Proof {
		ps[i] = base64.StdEncoding.EncodeToString(h)
	}
	return c.JSON(http.StatusOK, map[string]any{"seq": p.Seq, "leaf": p.Leaf, "size": p.Size,
		"leaf_hash": base64.StdEncoding.EncodeToString(p.Hash), "root": base64.StdEncoding.EncodeToString(p.Root), "proof": ps})
}
