package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/blob"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media/sample"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// withBlobs gives the server a file store on disk.
func withBlobs(t *testing.T) func(*api.Server) {
	return func(s *api.Server) {
		b, err := blob.NewFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		s.Blobs = b
	}
}

// idCard is a photographed identity document, as far as the checks can tell.
var idCard = sample.PNG(8, 6, 200)

// upload posts a file as the multipart field "file".
func (h *harness) upload(path, who, name string, data []byte) resp {
	h.t.Helper()
	return h.sendFile("POST", path, who, name, data, expectation{})
}

// sendFile sends a multipart form whose field "file" is data.
func (h *harness) sendFile(method, path, who, name string, data []byte, exp expectation) resp {
	h.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		h.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req := h.request(method, path, who, b.Bytes())
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return h.send(req, exp)
}

// zh is an error answer's Chinese message.
func (r resp) zh() string {
	if e, ok := r.body["error"].(map[string]any); ok {
		return fmt.Sprint(e["message_zh"])
	}
	return ""
}

// Identity documents through the API: the handler uploads one (a file of
// another type is refused naming it, and leaves nothing behind) and reads
// it back, uncached, as a download, each read an event in the case's chain;
// an admin or an officer is refused in Chinese and gets no bytes, another
// agency's handler finds nothing; the retention is the admin's to set.
func TestIdentityDocumentsAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withBlobs(t))
	h.addHandler(false)
	ctx := context.Background()
	r := h.want(h.do("POST", "/api/v1/applications", "handler", map[string]any{"route": "visit", "applicant_type": "natural",
		"applicant_name": "张三", "description": "本社区2026年停车位规划"}), http.StatusCreated, "")
	id := int64(r.body["id"].(float64))
	path := fmt.Sprintf("/api/v1/applications/%d/documents", id)

	r = h.want(h.upload(path, "officer", "身份证.png", idCard), http.StatusForbidden, "role_required")
	if !strings.Contains(r.zh(), "依申请公开承办人") {
		t.Fatalf("the officer's refusal: %s", r.raw)
	}
	h.want(h.upload(path, "admin", "身份证.png", idCard), http.StatusForbidden, "role_required")
	// Both refusals are in the agency's trail, as the one check writes them.
	var refusedUploads int
	if err := h.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'denied:application_document_added'
		AND comment LIKE $1`, fmt.Sprintf("application %d:%%", id)).Scan(&refusedUploads); err != nil || refusedUploads != 2 {
		t.Fatalf("%d refused uploads audited, want 2 (%v)", refusedUploads, err)
	}
	r = h.want(h.upload(path, "handler", "身份证.png", []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")),
		http.StatusUnsupportedMediaType, "unsupported_type")
	if !strings.Contains(r.zh(), "image/gif") || !strings.Contains(r.zh(), "PDF") {
		t.Fatalf("a GIF's refusal names neither the type nor what is taken: %s", r.raw)
	}
	h.want(h.upload(path, "handler", "说明.txt", []byte("我是张三")), http.StatusUnsupportedMediaType, "unsupported_type")
	big := append(bytes.Clone(idCard), make([]byte, api.MaxIdentityDocument)...)
	r = h.want(h.upload(path, "handler", "大.png", big), http.StatusRequestEntityTooLarge, "too_large")
	if !strings.Contains(r.zh(), "10 MB") {
		t.Fatalf("an oversized document's refusal: %s", r.raw)
	}
	a, err := h.store.Application(ctx, domain.Actor{AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}, id)
	if err != nil || len(a.Documents) != 0 {
		t.Fatalf("refused uploads left documents: %+v %v", a.Documents, err)
	}

	r = h.want(h.upload(path, "handler", "张三身份证.png", idCard), http.StatusCreated, "")
	doc := int64(r.body["id"].(float64))
	if r.body["name"] != "张三身份证.png" || r.body["size"].(float64) <= 0 {
		t.Fatalf("the upload: %v", r.body)
	}
	r = h.want(h.do("GET", fmt.Sprintf("/api/v1/applications/%d", id), "handler", nil), http.StatusOK, "")
	if docs := r.body["documents"].([]any); len(docs) != 1 {
		t.Fatalf("the case's documents: %v", docs)
	}

	docPath := fmt.Sprintf("%s/%d", path, doc)
	events := func() []audit.Event {
		evs, err := h.store.ChainEvents(ctx, audit.ApplicationChain(id))
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	before := len(events())
	for _, who := range []string{"admin", "officer"} {
		r = h.want(h.do("GET", docPath, who, nil), http.StatusForbidden, "role_required")
		if !strings.Contains(r.zh(), "承办人") || strings.Contains(r.raw, "PNG") {
			t.Fatalf("%s's refusal: %s", who, r.raw)
		}
	}
	if n := len(events()); n != before {
		t.Fatalf("refused reads wrote %d events", n-before)
	}
	r = h.want(h.do("GET", docPath, "handler", nil), http.StatusOK, "")
	if r.header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") ||
		r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Content-Type") != "image/png" {
		t.Fatalf("headers: %v", r.header)
	}
	if !bytes.HasPrefix([]byte(r.raw), []byte("\x89PNG")) {
		t.Fatalf("not the image: %q", r.raw[:min(len(r.raw), 16)])
	}
	evs := events()
	if len(evs) != before+1 {
		t.Fatalf("a read wrote %d events", len(evs)-before)
	}
	if e := evs[len(evs)-1]; e.Action != "application_document_read" || e.ActorID != h.ids["handler"] ||
		!strings.HasPrefix(e.Comment, fmt.Sprintf("document=%d type=image/png", doc)) {
		t.Fatalf("the read's event: %+v", e)
	}
	h.want(h.do("GET", fmt.Sprintf("%s/%d", path, doc+1000), "handler", nil), http.StatusNotFound, "not_found")

	// Another agency's case handler finds nothing.
	platform := domain.Actor{Name: "platform", Roles: []domain.Role{domain.RolePlatformAdmin}}
	ag, _, _, err := h.store.AddAgency(ctx, platform, "xinjie", "新街街道办事处", store.NewUser{Name: "新街管理员"})
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := h.store.AddUser(ctx, domain.Actor{Name: "新街管理员", AgencyID: ag.ID, Roles: []domain.Role{domain.RoleAdmin}},
		store.NewUser{Name: "新街承办", Roles: []domain.Role{domain.RoleCaseHandler}})
	if err != nil {
		t.Fatal(err)
	}
	h.tokens["otherhandler"] = tok
	h.want(h.do("GET", docPath, "otherhandler", nil), http.StatusNotFound, "not_found")
	h.want(h.upload(path, "otherhandler", "x.png", idCard), http.StatusNotFound, "not_found")

	// The retention.
	r = h.want(h.do("GET", "/api/v1/agency/identity-retention", "handler", nil), http.StatusOK, "")
	if r.body["days"].(float64) != 180 {
		t.Fatalf("default retention: %v", r.body)
	}
	h.want(h.do("PUT", "/api/v1/agency/identity-retention", "handler", map[string]any{"days": 30}), http.StatusForbidden, "role_required")
	r = h.want(h.doInvalid("PUT", "/api/v1/agency/identity-retention", "admin", map[string]any{"days": 0}), http.StatusBadRequest, "invalid_retention")
	if !strings.Contains(r.zh(), "3650") {
		t.Fatalf("the retention's refusal: %s", r.raw)
	}
	h.want(h.do("PUT", "/api/v1/agency/identity-retention", "admin", map[string]any{"days": 30}), http.StatusOK, "")
	if days, err := h.store.IdentityRetention(ctx, 1); err != nil || days != 30 {
		t.Fatalf("retention now %d %v", days, err)
	}
	if res, err := h.store.VerifyAgency(ctx, 1); err != nil || !res.OK {
		t.Fatalf("verify: %+v %v", res, err)
	}
}

// The public form takes the applicant's identity documents with the
// application, in its transaction: a document of another type refuses the
// whole application (nothing is written, what was typed stays), a good one
// is recorded on the case, audited, and readable by the case handler only.
// Without a file store the form offers no file field.
func TestPublicApplicationWithDocuments(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withBlobs(t))
	h.addHandler(false)
	post := func(addr string, files map[string][]byte) (int, string) {
		t.Helper()
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range map[string]string{"applicant_type": "natural", "applicant_name": "张某某", "applicant_contact": "zhang@example.org",
			"description": "本街道2025年老旧小区改造的项目清单"} {
			_ = mw.WriteField(k, v)
		}
		for name, data := range files {
			fw, err := mw.CreateFormFile("identity", name)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = fw.Write(data)
		}
		_ = mw.Close()
		req, _ := http.NewRequest("POST", h.base+"/public/default/apply", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-Forwarded-For", addr)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		page, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(page)
	}
	res, err := http.Get(h.base + "/public/default/apply")
	if err != nil {
		t.Fatal(err)
	}
	form, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(form), `enctype="multipart/form-data"`) || !strings.Contains(string(form), `id="identity"`) ||
		strings.Contains(res.Header.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Fatalf("the form offers no identity documents, or its policy allows inline styles: %s\n%s", res.Header.Get("Content-Security-Policy"), form)
	}

	before := h.applicationCount()
	status, page := post("", map[string][]byte{"身份证.png": []byte("not an image at all, just text")})
	if status != http.StatusUnsupportedMediaType || !strings.Contains(page, "只接受 JPG、PNG 图片或 PDF 文件") || !strings.Contains(page, "张某某") {
		t.Fatalf("a text file as an identity document: %d %s", status, page)
	}
	if h.applicationCount() != before {
		t.Fatal("a refused document left an application behind")
	}

	status, page = post("", map[string][]byte{"身份证.png": idCard})
	if status != http.StatusCreated || !strings.Contains(page, `id="documents-received"`) {
		t.Fatalf("an application with its identity document: %d %s", status, page)
	}
	var id, docs int64
	var actions []string
	ctx := context.Background()
	if err := h.store.Pool.QueryRow(ctx, `SELECT a.id, (SELECT count(*) FROM application_documents d WHERE d.application_id = a.id)
		FROM applications a ORDER BY id DESC LIMIT 1`).Scan(&id, &docs); err != nil || docs != 1 {
		t.Fatalf("the case holds %d documents (%v)", docs, err)
	}
	rows, _ := h.store.Pool.Query(ctx, `SELECT action FROM audit_events WHERE chain = $1 ORDER BY idx`, audit.ApplicationChain(id))
	for rows.Next() {
		var a string
		_ = rows.Scan(&a)
		actions = append(actions, a)
	}
	rows.Close()
	if strings.Join(actions, " ") != "application_received application_document_added" {
		t.Fatalf("the case's trail: %v", actions)
	}
	case_ := h.want(h.do("GET", fmt.Sprintf("/api/v1/applications/%d", id), "handler", nil), http.StatusOK, "")
	if !strings.Contains(case_.raw, "身份证.png") {
		t.Fatalf("the handler does not see the document: %s", case_.raw)
	}

	// More than the form takes: refused, nothing written.
	before = h.applicationCount()
	status, page = post("", map[string][]byte{"a.png": idCard, "b.png": idCard, "c.png": idCard, "d.png": idCard})
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "最多上传 3 个") || h.applicationCount() != before {
		t.Fatalf("four documents: %d %s", status, page)
	}

	// Without a file store: no file field, and the application still goes in.
	plain := newHarness(t)
	res, err = http.Get(plain.base + "/public/default/apply")
	if err != nil {
		t.Fatal(err)
	}
	form, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(form), `id="identity"`) || !strings.Contains(string(form), "请以信函或当面方式提交") {
		t.Fatalf("the form without a file store: %s", form)
	}
}
