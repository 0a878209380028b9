package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/blob"
	"github.com/sanshen-gov/sanshen/internal/checks/confidentiality"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// CheckSite refuses column settings a visitor could not be shown: a
// credit code that is not one, a 索引号 pattern that would not number
// each item once a year, an emblem from another site, text too long. It
// trims st and fills the default pattern; the refusal names its field, for
// the settings page (web) as for the API.
func CheckSite(st *store.Site) error {
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&st.CreditCode, &st.IndexPattern, &st.Emblem, &st.Sponsor, &st.SiteCode, &st.ICP} {
		trim(p)
	}
	if st.IndexPattern == "" {
		st.IndexPattern = store.DefaultIndexPattern
	}
	st.CreditCode = strings.ToUpper(st.CreditCode)
	if st.CreditCode != "" && !confidentiality.ValidCreditCode(st.CreditCode) {
		return failField("credit_code", http.StatusBadRequest, "invalid_site", "统一社会信用代码无效：应为18位，且校验位正确。",
			"credit_code %q is not a unified social credit code (18 characters with a valid check character)", st.CreditCode)
	}
	rest := strings.NewReplacer("{code}", "", "{year}", "", "{serial}", "").Replace(st.IndexPattern)
	if !strings.Contains(st.IndexPattern, "{year}") || !strings.Contains(st.IndexPattern, "{serial}") || strings.ContainsAny(rest, "{}") ||
		utf8.RuneCountInString(st.IndexPattern) > 60 {
		return failField("index_pattern", http.StatusBadRequest, "invalid_site", "索引号格式须包含 {year}（年份）和 {serial}（五位序号），可含 {code}（信用代码），不超过60个字符。",
			"index_pattern must contain {year} and {serial}, may contain {code}, and nothing else in braces (60 characters at most)")
	}
	if st.Emblem != "" && (!strings.HasPrefix(st.Emblem, "/") || strings.HasPrefix(st.Emblem, "//") || strings.ContainsAny(st.Emblem, " \\\"'<>") || len(st.Emblem) > 300) {
		return failField("emblem", http.StatusBadRequest, "invalid_site", "徽标须为本站的图片地址，以 / 开头（如 /public/files/…），不能是其他网站的地址。",
			"emblem must be a path on this site, starting with / (such as /public/files/...)")
	}
	for _, f := range []struct {
		v, zh, en string
		max       int
	}{
		{st.Sponsor, "主办单位", "sponsor", 100}, {st.SiteCode, "网站标识码", "site_code", 40}, {st.ICP, "备案号", "icp", 60},
		{st.Guide, "政府信息公开指南", "guide", 20000}, {st.Rules, "政府信息公开制度", "rules", 20000},
	} {
		if utf8.RuneCountInString(f.v) > f.max {
			return failField(f.en, http.StatusBadRequest, "invalid_site", fmt.Sprintf("%s过长：最多%d个字。", f.zh, f.max), "%s is longer than %d characters", f.en, f.max)
		}
	}
	return nil
}

// siteJSON is the column's settings with the agency's name, which its
// header shows beside the emblem.
type siteJSON struct {
	store.Site
	Name string `json:"name"`
}

// getSite is GET /api/v1/agency/site: the admin's agency's column settings.
func (s *Server) getSite(c echo.Context) error {
	if err := requireRole(c, domain.RoleAdmin); err != nil {
		return err
	}
	return s.siteAnswer(c)
}

func (s *Server) siteAnswer(c echo.Context) error {
	ctx := c.Request().Context()
	st, err := s.Store.AgencySite(ctx, user(c).AgencyID)
	if err != nil {
		return err
	}
	a, err := s.Store.Agency(ctx, user(c).AgencyID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, siteJSON{Site: st, Name: a.Name})
}

// setSite is PUT /api/v1/agency/site: every setting, audited; a name
// renames the agency (audited too: agency_rename).
func (s *Server) setSite(c echo.Context) error {
	if err := requireRole(c, domain.RoleAdmin); err != nil {
		return err
	}
	var in siteJSON
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := CheckSite(&in.Site); err != nil {
		return err
	}
	if err := SaveSite(c.Request().Context(), s.Store, user(c).Actor(), in.Site, in.Name); err != nil {
		return err
	}
	return s.siteAnswer(c)
}

// SaveSite stores the column's settings and, when name is given and not
// the agency's, renames the agency, in one transaction: a name that is not
// one is refused before anything is written (SetAgencySite).
func SaveSite(ctx context.Context, st *store.Store, by domain.Actor, site store.Site, name string) error {
	name = strings.TrimSpace(name)
	if name != "" {
		a, err := st.Agency(ctx, by.AgencyID)
		if err != nil {
			return err
		}
		if name == a.Name {
			name = "" // no rename, none audited
		}
	}
	return st.SetAgencySite(ctx, by, site, name)
}

// EmblemPath is where the column shows agency slug's emblem, uploaded as
// the file sum: a path on the site itself, as CheckSite asks.
func EmblemPath(slug, sum string) string { return "/public/" + slug + "/emblem/" + sum }

// publicEmblem is GET /public/{slug}/emblem/{sha256}: the agency's emblem,
// while it is the one its settings name (an emblem replaced since answers
// 404, like any file never published).
func (s *Server) publicEmblem(c echo.Context) error {
	a, site, err := s.column(c)
	if err != nil {
		return err
	}
	sum := c.Param("sha256")
	if s.Blobs == nil || !blob.ValidSum(sum) || site.Emblem != EmblemPath(a.Slug, sum) {
		return echo.ErrNotFound
	}
	f, err := s.Store.AgencyFile(c.Request().Context(), sum, a.ID)
	if errors.Is(err, store.ErrNotFound) || err == nil && f.Kind != string(media.KindImage) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	return StreamFile(c, s.Blobs, s.Log, f.SHA256, f.MediaType, "", false)
}
