package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/checks/expressions"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// The expression tables are versioned per list like the word list, keep
// who added each entry, and reach the checks with the agency's locality.
func TestExpressionTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testenv.Store(t)
	op := domain.Actor{Name: "运维", AgencyID: store.DefaultAgency, Roles: []domain.Role{domain.RoleAdmin, domain.RolePlatformAdmin}}
	local := expressions.Organ{Old: "工商行政管理局", New: "市场监督管理局", Place: "北京市东城区", From: "2019-01-10", Source: "东城区机构改革实施方案"}
	if _, err := s.SetOrgans(ctx, op, store.DefaultAgency, []expressions.Organ{local}); err != nil {
		t.Fatal(err)
	}
	other := domain.Actor{Name: "另一管理员", AgencyID: store.DefaultAgency, Roles: []domain.Role{domain.RoleAdmin}}
	second := expressions.Organ{Old: "卫生和计划生育委员会", New: "卫生健康委员会", Place: "北京市", From: "2018-11-08", Source: "北京市机构改革方案"}
	l, err := s.SetOrgans(ctx, other, store.DefaultAgency, []expressions.Organ{local, second})
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != 2 || l.Organs[0].AddedBy != "运维" || l.Organs[1].AddedBy != "另一管理员" {
		t.Fatalf("version 2: %+v", l)
	}
	if _, err := s.SetOrgans(ctx, other, store.DefaultAgency, []expressions.Organ{{Old: "甲", New: "乙", Place: "全国", From: "2019", Source: "x"}}); !errors.Is(err, store.ErrInvalidEntry) {
		t.Fatalf("a malformed date: %v", err)
	}
	// The platform's list is the platform admins'.
	if _, err := s.SetLeaders(ctx, other, store.PlatformList, []expressions.Leader{{Name: "某", Title: "某职", Until: "2020-01-01", Source: "某"}}); err == nil {
		t.Fatal("an agency's admin wrote the platform's leaders")
	}
	if _, err := s.SetLeaders(ctx, op, store.PlatformList, []expressions.Leader{{Name: "李克强", Title: "国务院总理", Until: "2023-03-11", Source: "第十四届全国人民代表大会第一次会议"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLocality(ctx, other, store.DefaultAgency, "北京市东城区"); err != nil {
		t.Fatal(err)
	}
	e := &store.Expressions{Store: s}
	tables, err := e.Tables(ctx, store.DefaultAgency)
	if err != nil {
		t.Fatal(err)
	}
	if tables.Locality != "北京市东城区" || len(tables.Leaders) != 1 || len(tables.Organs) != len(expressions.ShippedOrgans())+2 {
		t.Fatalf("tables: locality %q, %d leaders, %d organs", tables.Locality, len(tables.Leaders), len(tables.Organs))
	}
	fs := expressions.Check(tables, domain.Content{Body: "区工商行政管理局与国务院总理李克强。", FormedOn: mustDay(t, "2024-05-01")})
	if len(fs) != 2 {
		t.Fatalf("findings %+v", fs)
	}
	var n int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action IN ('organ_list_set', 'leader_list_set', 'agency_locality')`).Scan(&n); err != nil || n != 4 {
		t.Errorf("%d audited changes, want 4 (%v)", n, err)
	}
}

func mustDay(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(domain.DateLayout, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
