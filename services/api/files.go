package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/sanshen-gov/sanshen/internal/checks/attachments"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/blob"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// uploadPath is the one route whose body is a file's bytes: it has its own
// size limit (the largest per-type limit) and cleanInput leaves its body
// alone.
const uploadPath = "/api/v1/files"

// fileJSON is an uploaded file as the API answers it.
type fileJSON struct {
	store.File
	Name string `json:"name"`
	// NoticeZH tells the officer what was removed from a photo.
	NoticeZH string `json:"notice_zh,omitempty"`
}

// uploadFile is POST /api/v1/files?name=…: the body is the file. Its type
// is sniffed from the bytes, photo metadata is stripped before anything is
// stored, and a document's text is kept for the checks. The answer names
// the file by the SHA-256 of what was stored, which a draft's attachments
// then cite.
func (s *Server) uploadFile(c echo.Context) error {
	u := user(c)
	if !u.Actor().Has(domain.RoleOfficer) {
		return fail(http.StatusForbidden, string(domain.RuleRole), "uploading a file needs the officer role: files are attached to drafts")
	}
	if s.Blobs == nil {
		return fail(http.StatusServiceUnavailable, "no_file_store", "this installation has no file store configured")
	}
	name := strings.TrimSpace(c.QueryParam("name"))
	if name == "" {
		return failZH(http.StatusBadRequest, "missing_field", "请在 name 参数中给出文件名。", "the file's name is missing: POST /api/v1/files?name=<file name>")
	}
	data, err := io.ReadAll(c.Request().Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return failZH(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("文件超过 %d MB 的上传上限。", tooBig.Limit>>20),
			"the upload is over the limit of %d bytes", tooBig.Limit)
	}
	if err != nil {
		return fail(http.StatusBadRequest, "unreadable_body", "could not read the upload: %v", err)
	}
	f, err := s.files().Upload(c.Request().Context(), u, name, data)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, fileJSON{File: f, Name: name, NoticeZH: StrippedNotice(f.Stripped)})
}

// Files takes uploads: the API's POST /api/v1/files and the draft form's
// file fields both come here.
type Files struct {
	Store  *store.Store
	Blobs  blob.Store
	Limits media.Limits // zero: media.DefaultLimits
	busy   chan struct{}
	once   sync.Once
}

// Upload judges a file (media.Inspect: its real type, its limit, photo
// metadata stripped, a document's text), stores its bytes by SHA-256 and
// records it for u's agency. A refusal is an *Error (4xx) in both
// languages. At most two uploads are inspected at once: each holds its
// file in memory.
func (f *Files) Upload(ctx context.Context, u store.User, name string, data []byte) (store.File, error) {
	if f == nil || f.Blobs == nil {
		return store.File{}, fail(http.StatusServiceUnavailable, "no_file_store", "this installation has no file store configured")
	}
	if err := media.ValidName(name); err != nil {
		return store.File{}, refused(err)
	}
	f.once.Do(func() { f.busy = make(chan struct{}, 2) })
	select {
	case f.busy <- struct{}{}:
		defer func() { <-f.busy }()
	case <-ctx.Done():
		return store.File{}, ctx.Err()
	}
	lim := f.Limits
	if lim == (media.Limits{}) {
		lim = media.DefaultLimits()
	}
	info, err := media.Inspect(data, name, lim)
	if err != nil {
		return store.File{}, refused(err)
	}
	if err := f.Blobs.Put(ctx, info.SHA256, info.Size, info.Type.MediaType, bytes.NewReader(info.Data)); err != nil {
		return store.File{}, fmt.Errorf("error storing the file: %w", err)
	}
	return f.Store.AddFile(ctx, store.File{SHA256: info.SHA256, MediaType: info.Type.MediaType, Kind: string(info.Type.Kind),
		Size: info.Size, Width: info.Width, Height: info.Height, DurationMS: info.Duration.Milliseconds(),
		Stripped: info.Stripped, TextReadable: info.TextReadable, Text: info.Text, AgencyID: u.AgencyID, UploadedBy: u.ID})
}

// files is the server's uploader.
func (s *Server) files() *Files {
	s.filesOnce.Do(func() { s.uploader = &Files{Store: s.Store, Blobs: s.Blobs, Limits: s.MediaLimits} })
	return s.uploader
}

// StrippedNotice tells the officer, in Chinese, what was removed from a
// photo at upload ("" when nothing was).
func StrippedNotice(stripped []string) string {
	if len(stripped) == 0 {
		return ""
	}
	what, _ := attachments.Stripped(stripped)
	if len(what) == 0 {
		return "已删除图片中的元数据（EXIF 等），公开的文件不含这些信息。"
	}
	return "已删除图片中的" + strings.Join(what, "、") + "等信息，公开的文件不含这些信息。"
}

// mediaLimits are the per-type upload limits.
func (s *Server) mediaLimits() media.Limits {
	if s.MediaLimits != (media.Limits{}) {
		return s.MediaLimits
	}
	return media.DefaultLimits()
}

// maxUpload is the body limit of the upload route: the largest type's.
func (s *Server) maxUpload() int64 {
	l := s.mediaLimits()
	return max(l.Max(media.KindImage), l.Max(media.KindVideo), l.Max(media.KindDocument))
}

// refused answers a media refusal: 413 for a file over its type's limit,
// 415 for a type sanshen does not take, 422 otherwise, in both languages.
func refused(err error) error {
	var r *media.RefusedError
	if !errors.As(err, &r) {
		return err
	}
	status := http.StatusUnprocessableEntity
	switch r.Code {
	case media.CodeTooLarge:
		status = http.StatusRequestEntityTooLarge
	case media.CodeUnsupportedType:
		status = http.StatusUnsupportedMediaType
	}
	return &apiError{Status: status, Code: r.Code, Message: r.Message, MessageZH: r.MessageZH}
}

// getFile is GET /api/v1/files/{sha256}: the bytes of a file uploaded in
// the caller's agency or attached to one of its drafts (its officers
// attach it; its reviewers read it).
func (s *Server) getFile(c echo.Context) error {
	sum := c.Param("sha256")
	if !blob.ValidSum(sum) {
		return fail(http.StatusBadRequest, "invalid_sha256", "%q is not a SHA-256 (64 lowercase hex digits)", sum)
	}
	f, err := s.Store.AgencyFile(c.Request().Context(), sum, user(c).AgencyID)
	if err != nil {
		return err
	}
	return s.serveFile(c, f, "")
}

// publicFile is GET /public/files/{sha256}/{name}: a file attached under
// that name to an item that is published now. A visitor following a link
// to the file of a withdrawn item reads the item's 410 page (when and why
// it was taken down); to any other file, the 404 page (publicHTML).
func (s *Server) publicFile(c echo.Context) error {
	sum, name := c.Param("sha256"), c.Param("name")
	if unescaped, err := url.PathUnescape(name); err == nil {
		name = unescaped
	}
	if !blob.ValidSum(sum) || s.Blobs == nil {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	f, err := s.Store.PublicFile(ctx, sum, name)
	if errors.Is(err, store.ErrNotFound) {
		agencyID, gone, err := s.Store.PublicWithdrawnFile(ctx, sum, name)
		if errors.Is(err, store.ErrNotFound) {
			return echo.ErrNotFound
		}
		if err != nil {
			return err
		}
		a, err := s.Store.Agency(ctx, agencyID)
		if err != nil {
			return err
		}
		site, err := s.Store.AgencySite(ctx, a.ID)
		if err != nil {
			return err
		}
		return s.renderGone(c, a, site, gone)
	}
	if err != nil {
		return err
	}
	return s.serveFile(c, f, name)
}

// serveFile streams a stored file (StreamFile).
func (s *Server) serveFile(c echo.Context, f store.File, name string) error {
	return StreamFile(c, s.Blobs, s.Log, f.SHA256, f.MediaType, name, f.Kind == string(media.KindDocument))
}

// StreamFile streams the file sum from blobs with its sniffed type; the
// browser never guesses another, and a document downloads (under name)
// rather than opens in place. A file recorded but missing from the store
// is logged and answered as not found.
func StreamFile(c echo.Context, blobs blob.Store, log *slog.Logger, sum, mediaType, name string, document bool) error {
	if blobs == nil {
		return fail(http.StatusServiceUnavailable, "no_file_store", "this installation has no file store configured")
	}
	r, info, err := blobs.Open(c.Request().Context(), sum)
	if errors.Is(err, blob.ErrNotFound) {
		log.Error("a recorded file is missing from the file store", "sha256", sum)
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	defer r.Close()
	h := c.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	h.Set("Cache-Control", "private, max-age=300")
	h.Set("ETag", `"`+sum+`"`)
	if document {
		disp := "attachment"
		if name != "" {
			disp += "; filename*=UTF-8''" + url.PathEscape(name)
		}
		h.Set("Content-Disposition", disp)
	}
	return c.Stream(http.StatusOK, mediaType, r)
}

// PublicFileURL is where the public (and the portal) fetch a published
// item's file.
func PublicFileURL(base string, a domain.Attachment) string {
	return strings.TrimSuffix(base, "/") + a.PublicPath()
}
