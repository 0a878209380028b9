package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// cleanInput refuses, in this one place for every route (the API, the
// public pages and the reviewers' pages), a path, parameter, form field or
// JSON string that holds a NUL character or is not UTF-8: 400, naming the
// field. Nothing behind it meets such text, so PostgreSQL never refuses it
// with a 500. An upload's body (POST /api/v1/files) is a file's bytes and
// is not looked at here; media.Inspect judges it.
func (s *Server) cleanInput(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if err := cleanText("the path", "地址", r.URL.Path); err != nil {
			return err
		}
		for i, name := range c.ParamNames() {
			if i < len(c.ParamValues()) {
				if err := cleanText("path parameter "+strconv.Quote(name), "地址参数“"+name+"”", c.ParamValues()[i]); err != nil {
					return err
				}
			}
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return fail(http.StatusBadRequest, "invalid_query", "the query string cannot be read: %v", err)
		}
		if err := cleanValues("parameter", "查询参数", q); err != nil {
			return err
		}
		if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead ||
			r.Method == http.MethodPost && r.URL.Path == uploadPath {
			return next(c)
		}
		ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch {
		case ctype == "application/x-www-form-urlencoded", ctype == "multipart/form-data":
			if _, err := c.FormParams(); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					return fail(http.StatusRequestEntityTooLarge, "body_too_large", "request body is over the limit of %d bytes", tooBig.Limit)
				}
				return fail(http.StatusBadRequest, "invalid_form", "the form cannot be read: %v", err)
			}
			if err := cleanValues("form field", "表单字段", r.PostForm); err != nil {
				return err
			}
			if r.MultipartForm != nil {
				if err := cleanValues("form field", "表单字段", r.MultipartForm.Value); err != nil {
					return err
				}
			}
		case strings.Contains(ctype, "json") || ctype == "" && strings.HasPrefix(r.URL.Path, "/api/"):
			raw, err := io.ReadAll(r.Body)
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return fail(http.StatusRequestEntityTooLarge, "body_too_large", "request body is over the limit of %d bytes", tooBig.Limit)
			}
			if err != nil {
				return fail(http.StatusBadRequest, "unreadable_body", "could not read the request body: %v", err)
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
			if err := cleanJSON(raw); err != nil {
				return err
			}
		}
		return next(c)
	}
}

func cleanValues(kind, kindZH string, vs url.Values) error {
	for k, list := range vs {
		if err := cleanText(kind+" name", kindZH+"名", k); err != nil {
			return err
		}
		for _, v := range list {
			if err := cleanText(kind+" "+strconv.Quote(k), kindZH+"“"+k+"”", v); err != nil {
				return err
			}
		}
	}
	return nil
}

// cleanText refuses text with a NUL character or that is not UTF-8,
// naming what holds it (what, and whatZH in Chinese).
func cleanText(what, whatZH, v string) error {
	if !utf8.ValidString(v) {
		return failZH(http.StatusBadRequest, "invalid_utf8", printable(whatZH)+"不是有效的UTF-8文本，请检查后重新输入。", "%s is not valid UTF-8", printable(what))
	}
	if strings.ContainsRune(v, 0) {
		return failZH(http.StatusBadRequest, "invalid_text", printable(whatZH)+"含有空字符（NUL），请删除后重新输入。", "%s holds a NUL character", printable(what))
	}
	return nil
}

// printable keeps an attacker's field name from carrying bad bytes into
// the error message.
func printable(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", `\x00`), "\uFFFD")
}

// jsonFrame is one open object or array while cleanJSON walks a body.
type jsonFrame struct {
	object  bool
	key     string
	index   int
	wantKey bool
}

// cleanJSON walks a JSON body's tokens and refuses the first string (key
// or value) that is not valid UTF-8, holds a NUL (raw or \u0000) or an
// unpaired surrogate escape, naming its field ("title", "channels[1]").
// Go's decoder would otherwise turn such text into U+FFFD without a word.
// A body that is not JSON is left to the handler's decode, which says
// where, unless it breaks on a raw NUL.
func cleanJSON(raw []byte) error {
	if plainJSON(raw) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var stack []*jsonFrame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		if b.Len() == 0 {
			return "(the body)"
		}
		return b.String()
	}
	done := func() { // a value ended in the innermost container
		if len(stack) == 0 {
			return
		}
		if top := stack[len(stack)-1]; top.object {
			top.wantKey = true
		} else {
			top.index++
		}
	}
	prev := dec.InputOffset()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if bytes.IndexByte(raw, 0) >= 0 {
				return fail(http.StatusBadRequest, "invalid_text", "field %q holds a NUL character", printable(path()))
			}
			return nil // not JSON: decode answers where
		}
		end := dec.InputOffset()
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, &jsonFrame{object: t == '{', wantKey: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				done()
			}
		case string:
			isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey
			if isKey {
				stack[len(stack)-1].key, stack[len(stack)-1].wantKey = t, false
			}
			if code, problem := badJSONString(raw[prev:end]); problem != "" {
				what := "field " + strconv.Quote(printable(path()))
				if isKey {
					what = "the name of field " + strconv.Quote(printable(path()))
				}
				return fail(http.StatusBadRequest, code, "%s %s", what, problem)
			}
			if !isKey {
				done()
			}
		default:
			done()
		}
		prev = end
	}
}

// plainJSON reports, in one pass and without decoding, that a body cannot
// hold anything cleanJSON refuses: it is valid UTF-8, has no NUL byte and
// no \u escape of a NUL or a surrogate. Nearly every body is plain, and
// only the rest are walked token by token to name the field.
func plainJSON(raw []byte) bool {
	if bytes.IndexByte(raw, 0) >= 0 || !utf8.Valid(raw) {
		return false
	}
	for rest := raw; ; {
		i := bytes.Index(rest, []byte(`\u`))
		if i < 0 {
			return true
		}
		esc := rest[i+2:]
		if len(esc) < 4 || string(esc[:4]) == "0000" || esc[0] == 'd' || esc[0] == 'D' {
			return false
		}
		rest = esc
	}
}

// badJSONString judges a string token as written in the body (with what
// precedes it since the last token: spaces, a colon or a comma).
func badJSONString(tok []byte) (code, problem string) {
	i := bytes.IndexByte(tok, '"')
	if i < 0 || len(tok) < i+2 {
		return "", ""
	}
	s := tok[i+1 : len(tok)-1]
	if !utf8.Valid(s) {
		return "invalid_utf8", "is not valid UTF-8"
	}
	for j := 0; j < len(s); j++ {
		if s[j] != '\\' || j+1 >= len(s) {
			continue
		}
		if s[j+1] != 'u' || j+5 >= len(s) {
			j++ // an escape of one character
			continue
		}
		v, err := strconv.ParseUint(string(s[j+2:j+6]), 16, 16)
		if err != nil {
			return "", ""
		}
		switch {
		case v == 0:
			return "invalid_text", "holds a NUL character"
		case v >= 0xD800 && v <= 0xDBFF: // must be followed by a low surrogate
			if j+11 >= len(s) || s[j+6] != '\\' || s[j+7] != 'u' {
				return "invalid_utf8", "holds an unpaired surrogate escape"
			}
			w, err := strconv.ParseUint(string(s[j+8:j+12]), 16, 16)
			if err != nil || w < 0xDC00 || w > 0xDFFF {
				return "invalid_utf8", "holds an unpaired surrogate escape"
			}
			j += 11
			continue
		case v >= 0xDC00 && v <= 0xDFFF:
			return "invalid_utf8", "holds an unpaired surrogate escape"
		}
		j += 5
	}
	return "", ""
}
