package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// decode reads a JSON body strictly: valid UTF-8, no unknown fields, right
// types, one value. The error names the problem.
func decode(c echo.Context, v any) error {
	raw, err := io.ReadAll(c.Request().Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return fail(http.StatusRequestEntityTooLarge, "body_too_large", "request body is over the limit of %d bytes", tooBig.Limit)
	}
	if err != nil {
		return fail(http.StatusBadRequest, "unreadable_body", "could not read the request body: %v", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return fail(http.StatusBadRequest, "empty_body", "the request needs a JSON body")
	}
	if !utf8.Valid(raw) {
		return fail(http.StatusBadRequest, "invalid_utf8", "the request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			return fail(http.StatusBadRequest, "wrong_type", "field %q must be %s, not %s", typeErr.Field, typeErr.Type, typeErr.Value)
		case errors.As(err, &syntaxErr):
			return fail(http.StatusBadRequest, "invalid_json", "the body is not valid JSON at byte %d: %v", syntaxErr.Offset, err)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return fail(http.StatusBadRequest, "unknown_field", "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return fail(http.StatusBadRequest, "invalid_json", "the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return fail(http.StatusBadRequest, "invalid_json", "the body holds more than one JSON value")
	}
	return nil
}

// Field limits, documented in the README.
const (
	maxTitleRunes = 200
	maxBodyRunes  = 50000
)

// DraftInput is the body of POST and PUT /api/v1/drafts, and the web form.
type DraftInput struct {
	Title      *string  `json:"title"`
	Body       *string  `json:"body"`
	Department *string  `json:"department"`
	Category   *string  `json:"category"`
	Channels   []string `json:"channels"`
	FormedOn   *string  `json:"formed_on"`
}

// Content validates the input's shape. Department existence is checked by
// the caller; whether the content is good enough is the machine checks' job.
// Text may contain HTML: it is stored as text and escaped wherever shown.
func (in DraftInput) Content() (domain.Content, error) {
	var c domain.Content
	var missing []string
	for name, p := range map[string]*string{"title": in.Title, "body": in.Body, "department": in.Department, "category": in.Category, "formed_on": in.FormedOn} {
		if p == nil {
			missing = append(missing, name)
		}
	}
	if in.Channels == nil {
		missing = append(missing, "channels")
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return c, fail(http.StatusBadRequest, "missing_field", "missing required field(s): %s", strings.Join(missing, ", "))
	}
	// NUL characters and invalid UTF-8 never get here (cleanInput).
	c.Title, c.Body, c.Department, c.Category = strings.TrimSpace(*in.Title), *in.Body, strings.TrimSpace(*in.Department), *in.Category
	if c.Title == "" {
		return c, fail(http.StatusBadRequest, "empty_field", "title must not be empty")
	}
	if n := utf8.RuneCountInString(c.Title); n > maxTitleRunes {
		return c, fail(http.StatusBadRequest, "field_too_long", "title is %d characters; the limit is %d", n, maxTitleRunes)
	}
	if strings.TrimSpace(c.Body) == "" {
		return c, fail(http.StatusBadRequest, "empty_field", "body must not be empty")
	}
	if n := utf8.RuneCountInString(c.Body); n > maxBodyRunes {
		return c, fail(http.StatusBadRequest, "field_too_long", "body is %d characters; the limit is %d", n, maxBodyRunes)
	}
	if !domain.ValidCategory(c.Category) {
		return c, fail(http.StatusBadRequest, "unknown_category", "unknown category %q; use one of: %s", c.Category, strings.Join(domain.Categories, ", "))
	}
	if len(in.Channels) == 0 {
		return c, fail(http.StatusBadRequest, "no_channels", "channels must name at least one of: %s", channelList())
	}
	seen := map[domain.Channel]bool{}
	for _, ch := range in.Channels {
		cc := domain.Channel(ch)
		if !cc.Valid() {
			return c, fail(http.StatusBadRequest, "unknown_channel", "unknown channel %q; use one of: %s", ch, channelList())
		}
		if !seen[cc] {
			seen[cc] = true
			c.Channels = append(c.Channels, cc)
		}
	}
	formed, err := time.Parse(domain.DateLayout, *in.FormedOn)
	if err != nil {
		return c, fail(http.StatusBadRequest, "invalid_date", "formed_on must be a date YYYY-MM-DD, not %q", *in.FormedOn)
	}
	if err := domain.ValidFormedOn(formed); err != nil {
		return c, fail(http.StatusBadRequest, "invalid_date", "formed_on %s is before %s: no draft's information was formed before the People's Republic",
			*in.FormedOn, domain.FormedOnFloor.Format(domain.DateLayout))
	}
	c.FormedOn = formed
	return c, nil
}

func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fail(http.StatusBadRequest, "invalid_id", "%q is not an id (a positive number)", c.Param("id"))
	}
	return id, nil
}

// channelList names domain.Channels for error messages.
func channelList() string {
	names := make([]string, len(domain.Channels))
	for i, c := range domain.Channels {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}
