package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Identity documents of applications (依申请公开, Article 29): the copies of
// an ID card, a business licence or a power of attorney with which an
// applicant proves who they are. Only the case's own handlers
// (domain.CanReadIdentity: not another handler of the agency, not an
// admin) add and read them; every addition and every read
// is an audit event in the case's chain, written in the transaction that
// allows it, before any byte is sent. A document is deleted once the
// agency's retention (agencies.identity_retention_days) has passed since the
// case was closed, and not while an appeal about the case is pending
// (ExpireIdentityDocuments, run daily by the lifecycle's
// identity_retention sweep); the deletion is audited too.
//
// The trail never holds a document's name or hash, only its number, type
// and size: the name may itself be personal data ("张三身份证.jpg"), and the
// trail outlives the document.

// MaxCaseDocuments bounds the live identity documents of one case.
const MaxCaseDocuments = 20

// ErrDocumentDeleted is returned for a document already deleted after its
// retention: its bytes are gone.
var ErrDocumentDeleted = errors.New("the identity document was deleted after its retention period")

// NewApplicationDocument is an identity document to add: its bytes are
// already judged (their real type sniffed) and named by their SHA-256.
type NewApplicationDocument struct {
	SHA256      string
	Name        string
	ContentType string
	Size        int64
}

// IntakeDocument is an identity document that comes with an application
// (the public column's form): recorded in the intake's transaction.
type IntakeDocument struct {
	NewApplicationDocument
	Put BlobPutter
}

// MaxIntakeDocuments bounds the documents an application brings.
const MaxIntakeDocuments = 3

// BlobPutter stores a document's bytes; AddApplicationDocument calls it
// inside its transaction, after locking the sum against a sweep that
// would remove the same bytes.
type BlobPutter func(ctx context.Context) error

// BlobRemover removes stored bytes by SHA-256 (a blob.Store); removing
// missing bytes is not an error.
type BlobRemover interface {
	Delete(ctx context.Context, sum string) error
}

// lockSum takes a transaction's lock on a blob's SHA-256: an upload storing
// it and a sweep removing it never interleave.
func lockSum(ctx context.Context, tx pgx.Tx, sum string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('blob:' || $1, 0))`, sum); err != nil {
		return fmt.Errorf("error locking file %s: %w", sum, err)
	}
	return nil
}

// docComment is what the trail says of a document: no name, no hash.
func docComment(d ApplicationDocument) string {
	return fmt.Sprintf("document=%d type=%s size=%d", d.ID, d.ContentType, d.Size)
}

// MayAddApplicationDocument asks, before an upload is judged, whether by
// may add an identity document to case id (ErrNotFound: no such case of
// by's agency); a refusal is audited as the store's own check would audit
// it (AddApplicationDocument asks again).
func (s *Store) MayAddApplicationDocument(ctx context.Context, by domain.Actor, id int64) error {
	if err := domain.CanReadIdentity(by, []int64{by.ID}); err != nil {
		return s.refuseCase(ctx, by, id, domain.CaseDocumentAdded, err) // not a case handler at all
	}
	handlers, err := caseHandlerIDs(ctx, s.Pool, by.AgencyID, id, false)
	if err != nil {
		return err
	}
	if err := domain.CanReadIdentity(by, handlers); err != nil {
		return s.refuseCase(ctx, by, id, domain.CaseDocumentAdded, err)
	}
	return nil
}

// AddApplicationDocument records an identity document on case id of by's
// agency and audits it, in one transaction; put stores the bytes in that
// transaction (a failure leaves no record). Only the case's handlers add
// them; anyone else's attempt is refused and audited.
func (s *Store) AddApplicationDocument(ctx context.Context, by domain.Actor, id int64, d NewApplicationDocument, put BlobPutter, now time.Time) (ApplicationDocument, error) {
	if err := domain.CanReadIdentity(by, []int64{by.ID}); err != nil {
		return ApplicationDocument{}, s.refuseCase(ctx, by, id, domain.CaseDocumentAdded, err)
	}
	if err := checkDocumentName(&d); err != nil {
		return ApplicationDocument{}, err
	}
	var doc ApplicationDocument
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var state domain.CaseState
		var live int
		err := tx.QueryRow(ctx, `SELECT state, (SELECT count(*) FROM application_documents WHERE application_id = a.id AND deleted_at IS NULL)
			FROM applications a WHERE id = $1 AND agency_id = $2 FOR UPDATE`, id, by.AgencyID).Scan(&state, &live)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("application %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("error locking application %d: %w", id, err)
		}
		handlers, err := caseHandlerIDs(ctx, tx, by.AgencyID, id, false) // the case's lock holds them
		if err != nil {
			return err
		}
		if err := domain.CanReadIdentity(by, handlers); err != nil {
			return err
		}
		if _, err := domain.NextCase(state, domain.CaseDocumentAdded); err != nil {
			return err
		}
		if live >= MaxCaseDocuments {
			return invalidCase("每个案件最多保存%d个身份证明材料。", "a case keeps at most %d identity documents", MaxCaseDocuments)
		}
		doc, err = addDocument(ctx, tx, by, id, d, put, now)
		return err
	})
	var r *domain.Refusal
	if errors.As(err, &r) && r.Rule == domain.RuleNotCaseHandler {
		return doc, s.refuseCase(ctx, by, id, domain.CaseDocumentAdded, err)
	}
	return doc, err
}

// addDocument stores and records document d of case id (locked by the
// caller's transaction) and audits it.
func addDocument(ctx context.Context, tx pgx.Tx, by domain.Actor, id int64, d NewApplicationDocument, put BlobPutter, now time.Time) (ApplicationDocument, error) {
	doc := ApplicationDocument{SHA256: d.SHA256, Name: d.Name, ContentType: d.ContentType, Size: d.Size, AddedAt: now}
	if err := lockSum(ctx, tx, d.SHA256); err != nil {
		return doc, err
	}
	if put != nil {
		if err := put(ctx); err != nil {
			return doc, err
		}
	}
	if err := tx.QueryRow(ctx, `INSERT INTO application_documents (application_id, sha256, name, content_type, size, added_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, id, d.SHA256, d.Name, d.ContentType, d.Size, now).Scan(&doc.ID); err != nil {
		return doc, fmt.Errorf("error recording a document on application %d: %w", id, err)
	}
	return doc, appendEvent(ctx, tx, caseEvent(by.AgencyID, id, by, domain.CaseDocumentAdded, docComment(doc)))
}

// checkDocumentName trims a document's name and checks it.
func checkDocumentName(d *NewApplicationDocument) error {
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" || utf8.RuneCountInString(d.Name) > 255 {
		return invalidCase("请填写文件名（最多255个字符）。", "a document's name is required (at most 255 characters)")
	}
	return nil
}

// ReadApplicationDocument authorises by to read document doc of case id
// and audits the read (application_document_read, in the case's chain) in
// one transaction; the caller sends the bytes only after it returns nil.
// A refusal (not one of the case's handlers) reads nothing and is audited
// as denied:application_document_read in the agency's chain; a document of
// another agency's case is ErrNotFound; a deleted one ErrDocumentDeleted.
// The handler's row is locked while the read is audited: a removal waits
// for it, and a read after the removal is refused.
func (s *Store) ReadApplicationDocument(ctx context.Context, by domain.Actor, id, doc int64) (ApplicationDocument, error) {
	if err := domain.CanReadIdentity(by, []int64{by.ID}); err != nil {
		// An attempt on an applicant's identity is audited, unlike other
		// refused reads: PIPL asks who tried to see personal data.
		return ApplicationDocument{}, s.refuseCase(ctx, by, id, domain.CaseDocumentRead, err)
	}
	var d ApplicationDocument
	err := s.tx(ctx, func(tx pgx.Tx) error {
		handlers, err := caseHandlerIDs(ctx, tx, by.AgencyID, id, true)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("document %d of application %d: %w", doc, id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := domain.CanReadIdentity(by, handlers); err != nil {
			return err
		}
		var del *time.Time
		err = tx.QueryRow(ctx, `SELECT d.id, d.sha256, d.name, d.content_type, d.size, d.added_at, d.deleted_at
			FROM application_documents d JOIN applications a ON a.id = d.application_id
			WHERE d.id = $1 AND d.application_id = $2 AND a.agency_id = $3 FOR SHARE OF d`, doc, id, by.AgencyID).
			Scan(&d.ID, &d.SHA256, &d.Name, &d.ContentType, &d.Size, &d.AddedAt, &del)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("document %d of application %d: %w", doc, id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("error reading document %d: %w", doc, err)
		}
		if del != nil {
			d.DeletedAt = *del
			return ErrDocumentDeleted
		}
		return appendEvent(ctx, tx, caseEvent(by.AgencyID, id, by, domain.CaseDocumentRead, docComment(d)))
	})
	var r *domain.Refusal
	if errors.As(err, &r) {
		return ApplicationDocument{}, s.refuseCase(ctx, by, id, domain.CaseDocumentRead, err)
	}
	return d, err
}

// IdentityRetention is the days agency keeps identity documents after a
// case is closed.
func (s *Store) IdentityRetention(ctx context.Context, agency int64) (int, error) {
	var days int
	err := s.Pool.QueryRow(ctx, `SELECT identity_retention_days FROM agencies WHERE id = $1`, agency).Scan(&days)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("agency %d: %w", agency, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("error reading the identity retention of agency %d: %w", agency, err)
	}
	return days, nil
}

// The bounds of an agency's identity retention, in days.
const (
	MinIdentityRetention = 1
	MaxIdentityRetention = 3650
)

// SetIdentityRetention sets the days by's agency keeps identity documents
// after a case is closed (admins only), audited in the agency's chain as
// application_retention_set.
func (s *Store) SetIdentityRetention(ctx context.Context, by domain.Actor, days int) error {
	if !by.Has(domain.RoleAdmin) {
		return &domain.Refusal{Rule: domain.RuleRole, Message: "setting the identity documents' retention needs the admin role",
			MessageZH: "设置身份证明材料的保存期限需要管理员角色。"}
	}
	if days < MinIdentityRetention || days > MaxIdentityRetention {
		return invalidField("days", "保存期限应为%d至%d天，不能是%d天。", "the retention is %d to %d days, not %d", MinIdentityRetention, MaxIdentityRetention, days)
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		var was int
		err := tx.QueryRow(ctx, `SELECT identity_retention_days FROM agencies WHERE id = $1 FOR UPDATE`, by.AgencyID).Scan(&was)
		if err != nil {
			return fmt.Errorf("error reading the identity retention of agency %d: %w", by.AgencyID, err)
		}
		if was == days {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE agencies SET identity_retention_days = $2 WHERE id = $1`, by.AgencyID, days); err != nil {
			return fmt.Errorf("error setting the identity retention: %w", err)
		}
		return appendEvent(ctx, tx, &audit.Event{Chain: audit.AgencyChain(by.AgencyID), AgencyID: by.AgencyID, ActorID: by.ID, Actor: by.Name,
			Role: primaryRole(by), Action: domain.CaseDocumentsRetention.AuditAction(), Comment: fmt.Sprintf("days=%d was=%d", days, was)})
	})
}

// ExpiredDocument is an identity document the retention sweep deleted.
type ExpiredDocument struct {
	ApplicationID int64
	AgencyID      int64
	ApplicationDocument
}

// ExpireIdentityDocuments deletes every identity document whose retention
// has ended by now's date in Beijing: its case was closed on or before
// that date minus its agency's identity_retention_days, and no appeal
// about the case is pending. Each deletion (deleted_at set, the event
// application_document_deleted by the system in the case's chain) is one
// transaction, and a document deleted already is skipped, so a sweep cut
// short is simply run again. The bytes are removed afterwards, by
// RemoveDeletedDocumentBlobs.
func (s *Store) ExpireIdentityDocuments(ctx context.Context, now time.Time) ([]ExpiredDocument, error) {
	today := DigestDay(now)
	rows, _ := s.Pool.Query(ctx, `SELECT d.id FROM application_documents d
		JOIN applications a ON a.id = d.application_id JOIN agencies g ON g.id = a.agency_id
		WHERE d.deleted_at IS NULL AND a.closed_on IS NOT NULL AND a.closed_on + g.identity_retention_days <= $1::date
		  AND NOT EXISTS (SELECT 1 FROM application_appeals p WHERE p.application_id = a.id AND p.outcome = 'pending')
		ORDER BY d.id`, today)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("error finding the identity documents past their retention: %w", err)
	}
	var out []ExpiredDocument
	for _, id := range ids {
		var e ExpiredDocument
		err := s.tx(ctx, func(tx pgx.Tx) error {
			err := tx.QueryRow(ctx, `UPDATE application_documents d SET deleted_at = $2
				FROM applications a WHERE a.id = d.application_id AND d.id = $1 AND d.deleted_at IS NULL
				RETURNING d.application_id, a.agency_id, d.id, d.sha256, d.name, d.content_type, d.size, d.added_at`, id, now).
				Scan(&e.ApplicationID, &e.AgencyID, &e.ID, &e.SHA256, &e.Name, &e.ContentType, &e.Size, &e.AddedAt)
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNothingToDo // deleted meanwhile
			}
			if err != nil {
				return fmt.Errorf("error deleting identity document %d: %w", id, err)
			}
			e.DeletedAt = now
			return appendEvent(ctx, tx, caseEvent(e.AgencyID, e.ApplicationID, SystemActor, domain.CaseDocumentDeleted,
				docComment(e.ApplicationDocument)+" reason=retention"))
		})
		switch {
		case errors.Is(err, ErrNothingToDo):
		case err != nil:
			return out, err
		default:
			out = append(out, e)
		}
	}
	return out, nil
}

// RemoveDeletedDocumentBlobs removes the bytes of the deleted identity
// documents whose bytes are still stored, and returns how many documents
// it settled. Bytes another live document or a draft's file still uses
// are kept (the store holds each content once). Each removal holds the
// sum's lock (no upload of the same bytes interleaves) and is recorded in
// the transaction it happens in; if the record is lost to a crash, the next
// run removes the bytes again, which is no error.
func (s *Store) RemoveDeletedDocumentBlobs(ctx context.Context, blobs BlobRemover) (int, error) {
	if blobs == nil {
		return 0, errors.New("no file store to remove the deleted identity documents' files from")
	}
	rows, _ := s.Pool.Query(ctx, `SELECT id, sha256 FROM application_documents WHERE deleted_at IS NOT NULL AND blob_removed_at IS NULL ORDER BY id`)
	type pending struct {
		ID  int64
		Sum string
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[pending])
	if err != nil {
		return 0, fmt.Errorf("error finding the deleted documents' files: %w", err)
	}
	n := 0
	for _, p := range list {
		err := s.tx(ctx, func(tx pgx.Tx) error {
			if err := lockSum(ctx, tx, p.Sum); err != nil {
				return err
			}
			var used bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM application_documents WHERE sha256 = $1 AND deleted_at IS NULL)
				OR EXISTS (SELECT 1 FROM files WHERE sha256 = $1)`, p.Sum).Scan(&used); err != nil {
				return fmt.Errorf("error checking the uses of file %s: %w", p.Sum, err)
			}
			if !used {
				if err := blobs.Delete(ctx, p.Sum); err != nil {
					return fmt.Errorf("error removing the file of identity document %d: %w", p.ID, err)
				}
			}
			_, err := tx.Exec(ctx, `UPDATE application_documents SET blob_removed_at = now() WHERE id = $1`, p.ID)
			return err
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
