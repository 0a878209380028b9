package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/blob"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// Identity documents of applications (依申请公开, Article 29): uploaded and
// read by the agency's case handlers only; every read is audited in the
// case's chain before any byte is sent (store.ReadApplicationDocument).

// MaxIdentityDocument is the largest identity document: a phone photo of
// an ID card or a scanned licence is well under it.
const MaxIdentityDocument = 10 * media.MiB

// identityTypes are the types an identity document may be: photos and
// scans (JPEG, PNG) and PDF.
var identityTypes = []string{"image/jpeg", "image/png", "application/pdf"}

// identityUploadPath matches the two routes that take an identity document.
var identityUploadPath = regexp.MustCompile(`^/(api/v1|web)/applications/[0-9]+/documents$`)

// IdentityUpload reports whether r posts an identity document: its body may
// be as large as MaxIdentityDocument (and a form's fields around it).
func IdentityUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && identityUploadPath.MatchString(r.URL.Path)
}

// identityUploadLimit is the body limit of such a request.
const identityUploadLimit = MaxIdentityDocument + 64<<10

// applyPath is the public column's application form.
var applyPath = regexp.MustCompile(`^/public/[^/]+/apply$`)

// applyUploadLimit is the body limit of the form, which brings up to
// store.MaxIntakeDocuments identity documents.
const applyUploadLimit = store.MaxIntakeDocuments*MaxIdentityDocument + 64<<10

// ApplyUpload reports whether r posts the public application form.
func ApplyUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && applyPath.MatchString(r.URL.Path)
}

// notHandlerZH is the refusal of anyone but the case's handlers.
const notHandlerZH = "申请人的身份证明材料仅限本案的承办人上传和查看。"

// identityRefusal answers a refusal of domain.CanReadIdentity (not a case
// handler, or not one of this case's) in both languages; other errors pass.
func identityRefusal(err error) error {
	var r *domain.Refusal
	if errors.As(err, &r) && (r.Rule == domain.RuleRole || r.Rule == domain.RuleNotCaseHandler) {
		zh := r.MessageZH
		if zh == "" {
			zh = notHandlerZH
		}
		return failZH(http.StatusForbidden, string(r.Rule), zh, "%s", r.Message)
	}
	if errors.Is(err, store.ErrDocumentDeleted) {
		return failZH(http.StatusGone, "document_deleted", "该身份证明材料已按本机关规定的保存期限删除。", "%v", err)
	}
	return err
}

// AddIdentityDocument judges an identity document (its real type sniffed
// from the bytes, JPEG, PNG or PDF only, at most MaxIdentityDocument;
// photo metadata stripped) and records it on case id with its bytes,
// audited (store.AddApplicationDocument). Refusals are *Error in both
// languages.
func (f *Files) AddIdentityDocument(ctx context.Context, by domain.Actor, id int64, name string, data []byte, now time.Time) (store.ApplicationDocument, error) {
	if f == nil || f.Blobs == nil {
		return store.ApplicationDocument{}, fail(http.StatusServiceUnavailable, "no_file_store", "this installation has no file store configured")
	}
	if err := f.Store.MayAddApplicationDocument(ctx, by, id); err != nil {
		return store.ApplicationDocument{}, identityRefusal(err)
	}
	info, err := f.judgeIdentity(ctx, name, data)
	if err != nil {
		return store.ApplicationDocument{}, err
	}
	doc := f.intakeDocument(name, info)
	d, err := f.Store.AddApplicationDocument(ctx, by, id, doc.NewApplicationDocument, doc.Put, now)
	return d, identityRefusal(err)
}

// judgeIdentity checks an identity document's name, size and real type
// (JPEG, PNG or PDF by its content) and inspects it; its refusals are
// answers in both languages.
func (f *Files) judgeIdentity(ctx context.Context, name string, data []byte) (media.Info, error) {
	if err := media.ValidName(name); err != nil {
		return media.Info{}, refused(err)
	}
	if len(data) == 0 {
		return media.Info{}, failZH(http.StatusUnprocessableEntity, media.CodeEmpty, "文件内容为空，请重新选择文件上传。", "the file is empty")
	}
	if len(data) > MaxIdentityDocument {
		return media.Info{}, failZH(http.StatusRequestEntityTooLarge, media.CodeTooLarge,
			fmt.Sprintf("身份证明文件不能超过 %d MB。", MaxIdentityDocument/media.MiB), "an identity document is at most %d bytes", MaxIdentityDocument)
	}
	t, err := media.Sniff(data, name)
	if err == nil && !slices.Contains(identityTypes, t.MediaType) {
		err = fmt.Errorf("type %s", t.MediaType)
	}
	if err != nil {
		detected := "未知类型"
		if t.MediaType != "" {
			detected = t.MediaType
		}
		return media.Info{}, failZH(http.StatusUnsupportedMediaType, media.CodeUnsupportedType,
			fmt.Sprintf("身份证明材料只接受 JPG、PNG 图片或 PDF 文件（按文件内容检测，实际为%s），请转换后重新上传。", detected),
			"an identity document is a JPEG, PNG or PDF file (by its content), not %s", detected)
	}
	f.once.Do(func() { f.busy = make(chan struct{}, 2) })
	select {
	case f.busy <- struct{}{}:
		defer func() { <-f.busy }()
	case <-ctx.Done():
		return media.Info{}, ctx.Err()
	}
	info, err := media.Inspect(data, name, media.Limits{Image: MaxIdentityDocument, Video: 1, Document: MaxIdentityDocument})
	if err != nil {
		return media.Info{}, refused(err)
	}
	return info, nil
}

// intakeDocument is a judged document, to be stored in the transaction
// that records it.
func (f *Files) intakeDocument(name string, info media.Info) store.IntakeDocument {
	return store.IntakeDocument{
		NewApplicationDocument: store.NewApplicationDocument{SHA256: info.SHA256, Name: name, ContentType: info.Type.MediaType, Size: info.Size},
		Put: func(ctx context.Context) error {
			if err := f.Blobs.Put(ctx, info.SHA256, info.Size, info.Type.MediaType, bytes.NewReader(info.Data)); err != nil {
				return fmt.Errorf("error storing the identity document: %w", err)
			}
			return nil
		},
	}
}

// IntakeDocuments judges the documents an application brings, all before
// anything is written: one refused document refuses the application.
func (f *Files) IntakeDocuments(ctx context.Context, files []NamedFile) ([]store.IntakeDocument, error) {
	if len(files) == 0 {
		return nil, nil
	}
	if f == nil || f.Blobs == nil {
		return nil, fail(http.StatusServiceUnavailable, "no_file_store", "this installation has no file store configured")
	}
	if len(files) > store.MaxIntakeDocuments {
		return nil, failZH(http.StatusUnprocessableEntity, "too_many_files", fmt.Sprintf("身份证明材料最多上传 %d 个文件。", store.MaxIntakeDocuments),
			"an application brings at most %d identity documents", store.MaxIntakeDocuments)
	}
	var out []store.IntakeDocument
	for _, nf := range files {
		info, err := f.judgeIdentity(ctx, nf.Name, nf.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, f.intakeDocument(nf.Name, info))
	}
	return out, nil
}

// NamedFile is an uploaded file's name and bytes.
type NamedFile struct {
	Name string
	Data []byte
}

// FormDocument reads the uploaded file of a multipart form's field.
func FormDocument(c echo.Context, field string) (string, []byte, error) {
	fh, err := c.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, multipart.ErrMessageTooLarge) || fh == nil {
		return "", nil, failField(field, http.StatusBadRequest, "missing_field", "请选择要上传的身份证明文件。", "the form has no file in field %q", field)
	}
	if err != nil {
		return "", nil, fail(http.StatusBadRequest, "invalid_form", "the form cannot be read: %v", err)
	}
	if fh.Size > MaxIdentityDocument {
		return "", nil, failZH(http.StatusRequestEntityTooLarge, media.CodeTooLarge,
			fmt.Sprintf("身份证明文件不能超过 %d MB。", MaxIdentityDocument/media.MiB), "an identity document is at most %d bytes", MaxIdentityDocument)
	}
	r, err := fh.Open()
	if err != nil {
		return "", nil, fmt.Errorf("error opening the uploaded file: %w", err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, MaxIdentityDocument+1))
	if err != nil {
		return "", nil, fmt.Errorf("error reading the uploaded file: %w", err)
	}
	return fh.Filename, data, nil
}

// ServeIdentityDocument authorises and audits a read of document doc of
// case id by by, then sends its bytes: never cached, always a download
// under its name, its sniffed type never second-guessed by the browser.
func ServeIdentityDocument(c echo.Context, st *store.Store, blobs blob.Store, log *slog.Logger, by domain.Actor, id, doc int64) error {
	if blobs == nil {
		return fail(http.StatusServiceUnavailable, "no_file_store", "this installation has no file store configured")
	}
	d, err := st.ReadApplicationDocument(c.Request().Context(), by, id, doc)
	if err != nil {
		return identityRefusal(err)
	}
	r, info, err := blobs.Open(c.Request().Context(), d.SHA256)
	if errors.Is(err, blob.ErrNotFound) {
		log.Error("a recorded identity document is missing from the file store", "application", id, "document", doc)
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	defer r.Close()
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(d.Name))
	return c.Stream(http.StatusOK, d.ContentType, r)
}

// DocumentOut is a document's record as JSON.
func DocumentOut(d store.ApplicationDocument) DocumentJSON {
	dj := DocumentJSON{ID: d.ID, Name: d.Name, Size: d.Size, AddedAt: d.AddedAt.UTC().Format(time.RFC3339)}
	if !d.DeletedAt.IsZero() {
		dj.DeletedAt = d.DeletedAt.UTC().Format(time.RFC3339)
	}
	return dj
}

// addDocument is POST /api/v1/applications/{id}/documents: a multipart
// form whose field "file" is the identity document.
func (s *Server) addDocument(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	name, data, err := FormDocument(c, "file")
	if err != nil {
		return err
	}
	d, err := s.files().AddIdentityDocument(c.Request().Context(), user(c).Actor(), id, name, data, s.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, DocumentOut(d))
}

// getDocument is GET /api/v1/applications/{id}/documents/{doc}: the bytes,
// after the read is audited.
func (s *Server) getDocument(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	doc, err := strconv.ParseInt(c.Param("doc"), 10, 64)
	if err != nil || doc <= 0 {
		return fail(http.StatusBadRequest, "invalid_id", "the document id %q is not a positive number", c.Param("doc"))
	}
	return ServeIdentityDocument(c, s.Store, s.Blobs, s.Log, user(c).Actor(), id, doc)
}

// RetentionJSON is the agency's retention of identity documents.
type RetentionJSON struct {
	Days int `json:"days"`
}

// getRetention is GET /api/v1/agency/identity-retention.
func (s *Server) getRetention(c echo.Context) error {
	if err := requireRole(c, domain.RoleAdmin, domain.RoleCaseHandler); err != nil {
		return err
	}
	days, err := s.Store.IdentityRetention(c.Request().Context(), user(c).AgencyID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, RetentionJSON{Days: days})
}

// setRetention is PUT /api/v1/agency/identity-retention: admins, audited.
func (s *Server) setRetention(c echo.Context) error {
	if err := requireRole(c, domain.RoleAdmin); err != nil {
		return err
	}
	var in RetentionJSON
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Days < store.MinIdentityRetention || in.Days > store.MaxIdentityRetention {
		return failField("days", http.StatusBadRequest, "invalid_retention",
			fmt.Sprintf("保存期限须为 %d 至 %d 天。", store.MinIdentityRetention, store.MaxIdentityRetention),
			"days must be %d to %d, not %d", store.MinIdentityRetention, store.MaxIdentityRetention, in.Days)
	}
	ctx := c.Request().Context()
	if err := s.Store.SetIdentityRetention(ctx, user(c).Actor(), in.Days); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, in)
}
