package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// channelReport is GET /api/v1/reports/channels: what each channel carried
// for the caller's agency in a year, for the annual report (年报) and the
// officers' assessment.
type channelReport struct {
	Year int `json:"year"`
	// Published counts the drafts published in the year, Late those of
	// them published after their deadline (Article 26, or 双公示 when
	// earlier).
	Published int                 `json:"published"`
	Late      int                 `json:"published_late"`
	Channels  []store.ChannelYear `json:"channels"`
}

// channelsReport counts the agency's publications per channel for ?year=
// (default: this year in Beijing).
func (s *Server) channelsReport(c echo.Context) error {
	if err := requireRole(c, domain.RoleAdmin, domain.RoleAuditor); err != nil {
		return err
	}
	year, err := queryYear(c, time.Now())
	if err != nil {
		return err
	}
	ctx, agency := c.Request().Context(), user(c).AgencyID
	cs, err := s.Store.ChannelCounts(ctx, agency, year)
	if err != nil {
		return err
	}
	published, late, err := s.Store.PublishedLate(ctx, agency, year)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, channelReport{Year: year, Published: published, Late: late, Channels: cs})
}

// queryYear is the ?year= of a report (default: now's year in Beijing).
func queryYear(c echo.Context, now time.Time) (int, error) {
	q := c.QueryParam("year")
	if q == "" {
		return now.In(domain.Beijing).Year(), nil
	}
	y, err := strconv.Atoi(q)
	if err != nil || y < 2000 || y > 2100 {
		return 0, failZH(http.StatusBadRequest, "invalid_year", "年份须为2000至2100之间的四位数字。", "year must be a four-digit year from 2000 to 2100, not %q", q)
	}
	return y, nil
}
