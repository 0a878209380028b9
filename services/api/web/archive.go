package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// The internal archive (issue 20 point 5): everything the agency
// published, on any channel, withdrawn since or not (store.Archive), for
// its staff to browse by year, month, department, category and topic.

// archiveView is the archive page's data.
type archiveView struct {
	Year, Month, Page   int
	Department          int64
	Category, Topic     string
	Years               []int
	Months              []int
	Departments         []store.Department
	Categories          []string
	Topics              []store.TopicCount
	Items               []store.ArchiveItem
	Total               int64
	Capped              bool
	Prev, Next, Slug    string
	PageCount, PageSize int
}

const archivePageSize = 30

func (w *Web) archivePage(c echo.Context) error {
	u := currentUser(c)
	ctx := c.Request().Context()
	num := func(k string) int {
		n, _ := strconv.Atoi(c.QueryParam(k))
		return n
	}
	v := archiveView{Year: num("year"), Month: num("month"), Page: max(num("page"), 1), Category: c.QueryParam("category"), Topic: c.QueryParam("topic"),
		Categories: domain.Categories, Months: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, PageSize: archivePageSize}
	v.Department, _ = strconv.ParseInt(c.QueryParam("department"), 10, 64)
	if v.Category != "" && !domain.ValidCategory(v.Category) {
		v.Category = ""
	}
	if v.Year == 0 {
		v.Month = 0
	}
	var err error
	if v.Years, err = w.Store.ArchiveYears(ctx, u.AgencyID); err != nil {
		return err
	}
	if v.Departments, err = w.Store.Departments(ctx, u.AgencyID); err != nil {
		return err
	}
	if v.Topics, err = w.Store.ArchiveTopics(ctx, u.AgencyID); err != nil {
		return err
	}
	a, err := w.Store.Agency(ctx, u.AgencyID)
	if err != nil {
		return err
	}
	v.Slug = a.Slug
	v.Items, v.Total, v.Capped, err = w.Store.Archive(ctx, store.ArchiveQuery{AgencyID: u.AgencyID, Year: v.Year, Month: v.Month,
		DepartmentID: v.Department, Category: v.Category, Topic: v.Topic, Page: v.Page, Size: archivePageSize})
	if err != nil {
		return err
	}
	for i := range v.Items { // the Beijing day, as the public pages show it
		v.Items[i].PublishedAt = v.Items[i].PublishedAt.In(domain.Beijing)
	}
	v.PageCount = int((v.Total + archivePageSize - 1) / archivePageSize)
	at := func(n int) string {
		q := url.Values{}
		for k, x := range map[string]string{"category": v.Category, "topic": v.Topic} {
			if x != "" {
				q.Set(k, x)
			}
		}
		for k, x := range map[string]int64{"year": int64(v.Year), "month": int64(v.Month), "department": v.Department, "page": int64(n)} {
			if x != 0 {
				q.Set(k, strconv.FormatInt(x, 10))
			}
		}
		return "/web/archive?" + q.Encode()
	}
	if v.Page > 1 {
		v.Prev = at(v.Page - 1)
	}
	if v.Page < v.PageCount || v.Capped && len(v.Items) == archivePageSize {
		v.Next = at(v.Page + 1)
	}
	p := w.base(c, "topics.archive_title", "archive")
	p.Data = v
	return w.render(c, http.StatusOK, "archive", p)
}
