package api

import (
	"net/http"
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
	year, err := ReadYear(c.QueryParam("year"), time.Now())
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
