package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"github.com/opsgate/opsgate"
)

var _ opsgate.ApprovalService = (*ApprovalService)(nil)

// ApprovalService stores approval rules and held requests.
type ApprovalService struct{ db *DB }

// NewApprovalService returns the approval store for db.
func NewApprovalService(db *DB) *ApprovalService { return &ApprovalService{db: db} }

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// FindApprovalRules returns every rule, ordered by id.
func (s *ApprovalService) FindApprovalRules(ctx context.Context) ([]*opsgate.ApprovalRule, error) {
	rows, err := s.db.SQL.QueryContext(ctx, `SELECT id, platform, command, subcommand, approvers, group_names, required, timeout_seconds, created_at FROM approval_rules ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*opsgate.ApprovalRule
	for rows.Next() {
		var r opsgate.ApprovalRule
		var approvers, groups string
		var timeout, created int64
		if err := rows.Scan(&r.ID, &r.Platform, &r.Command, &r.Subcommand, &approvers, &groups, &r.Required, &timeout, &created); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(approvers), &r.Approvers)
		json.Unmarshal([]byte(groups), &r.Groups)
		r.Timeout, r.CreatedAt = time.Duration(timeout)*time.Second, FromTime(created)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// CreateApprovalRule validates and stores r; groups it names must exist.
func (s *ApprovalService) CreateApprovalRule(ctx context.Context, r *opsgate.ApprovalRule) error {
	r.Normalize()
	r.Approvers, r.Groups = uniqueSorted(r.Approvers), uniqueSorted(r.Groups)
	if err := r.Validate(); err != nil {
		return err
	}
	r.CreatedAt = s.db.Now().UTC().Truncate(time.Microsecond)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, g := range r.Groups {
			if _, err := groupID(ctx, s.db, tx, g); err != nil {
				return err
			}
		}
		id, err := s.db.Insert(ctx, tx, `INSERT INTO approval_rules (platform, command, subcommand, approvers, group_names, required, timeout_seconds, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.Platform, r.Command, r.Subcommand, jsonText(r.Approvers), jsonText(r.Groups), r.Required, int64(r.Timeout/time.Second), Time(r.CreatedAt))
		if err != nil {
			return err
		}
		r.ID = id
		return s.db.Audit(ctx, tx, "create", "approval_rule", strconv.FormatInt(id, 10), nil, r)
	})
}

// DeleteApprovalRule removes a rule. Requests it holds stay and can still be decided.
func (s *ApprovalService) DeleteApprovalRule(ctx context.Context, id int64) error {
	rules, err := s.FindApprovalRules(ctx)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if r.ID == id {
			return s.db.Tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM approval_rules WHERE id = ?`), id); err != nil {
					return err
				}
				return s.db.Audit(ctx, tx, "delete", "approval_rule", strconv.FormatInt(id, 10), r, nil)
			})
		}
	}
	return opsgate.Errorf(opsgate.ENOTFOUND, "Approval rule %d does not exist.", id)
}

// CreateApprovalRequest stores a held request.
func (s *ApprovalService) CreateApprovalRequest(ctx context.Context, a *opsgate.ApprovalRequest) error {
	a.Status, a.Approvals = opsgate.StatusAwaitingApproval, []string{}
	a.CreatedAt = s.db.Now().UTC().Truncate(time.Microsecond)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		id, err := s.db.Insert(ctx, tx, `INSERT INTO approval_requests (rule_id, status, request_doc, command, subcommand, required, approvals, decided_by, reason, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, '', '', ?, ?)`, a.RuleID, a.Status, jsonText(a.Request), a.Command, a.Subcommand, a.Required, jsonText(a.Approvals), Time(a.CreatedAt), Time(a.ExpiresAt))
		if err != nil {
			return err
		}
		a.ID = id
		return s.db.Audit(ctx, tx, "create", "approval_request", strconv.FormatInt(id, 10), nil, a)
	})
}

const approvalColumns = `id, rule_id, status, request_doc, command, subcommand, required, approvals, decided_by, reason, created_at, expires_at`

func scanApproval(row interface{ Scan(...any) error }) (*opsgate.ApprovalRequest, error) {
	var a opsgate.ApprovalRequest
	var doc, approvals string
	var created, expires int64
	if err := row.Scan(&a.ID, &a.RuleID, &a.Status, &doc, &a.Command, &a.Subcommand, &a.Required, &approvals, &a.DecidedBy, &a.Reason, &created, &expires); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(doc), &a.Request)
	json.Unmarshal([]byte(approvals), &a.Approvals)
	a.CreatedAt, a.ExpiresAt = FromTime(created), FromTime(expires)
	return &a, nil
}

// FindApprovalRequests returns requests newest first; status "" for all.
func (s *ApprovalService) FindApprovalRequests(ctx context.Context, status string, limit int) ([]*opsgate.ApprovalRequest, error) {
	if limit <= 0 {
		limit = 100
	}
	q, args := `SELECT `+approvalColumns+` FROM approval_requests`, []any{}
	if status != "" {
		q += ` WHERE status = ?`
		args = append(args, status)
	}
	rows, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(q+` ORDER BY id DESC LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*opsgate.ApprovalRequest
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// FindApprovalRequest returns one request.
func (s *ApprovalService) FindApprovalRequest(ctx context.Context, id int64) (*opsgate.ApprovalRequest, error) {
	a, err := scanApproval(s.db.SQL.QueryRowContext(ctx, s.db.Rebind(`SELECT `+approvalColumns+` FROM approval_requests WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "Approval request %d does not exist.", id)
	}
	return a, err
}

// Decide records a decision. The first statement touches the row only while it awaits approval,
// which also locks it: concurrent decisions on other replicas wait, then see it decided.
func (s *ApprovalService) Decide(ctx context.Context, id int64, approver, status, reason string) (*opsgate.ApprovalRequest, bool, error) {
	var out *opsgate.ApprovalRequest
	var moved bool
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		// A no-op write takes the row's lock; the status read after it decides (MySQL counts only
		// changed rows as affected, so the count cannot).
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE approval_requests SET decided_by = decided_by WHERE id = ? AND status = ?`), id, opsgate.StatusAwaitingApproval); err != nil {
			return err
		}
		a, err := scanApproval(tx.QueryRowContext(ctx, s.db.Rebind(`SELECT `+approvalColumns+` FROM approval_requests WHERE id = ?`), id))
		if err == sql.ErrNoRows {
			return opsgate.Errorf(opsgate.ENOTFOUND, "Approval request %d does not exist.", id)
		} else if err != nil {
			return err
		}
		if a.Status != opsgate.StatusAwaitingApproval {
			out = a
			return opsgate.Errorf(opsgate.ECONFLICT, "Request %d is already %s.", id, a.Status)
		}
		before := *a
		before.Approvals = append([]string(nil), a.Approvals...)
		switch status {
		case opsgate.StatusApproved:
			if a.Approved(approver) {
				out = a
				return opsgate.Errorf(opsgate.ECONFLICT, "You have already approved request %d; it needs another approver.", id)
			}
			a.Approvals = append(a.Approvals, approver)
			if len(a.Approvals) >= a.Required {
				a.Status, a.DecidedBy, moved = opsgate.StatusApproved, approver, true
			}
		case opsgate.StatusDenied, opsgate.StatusExpired:
			a.Status, a.DecidedBy, a.Reason, moved = status, approver, reason, true
		default:
			return opsgate.Errorf(opsgate.EINVALID, "Decision %q is not approved, denied or expired.", status)
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE approval_requests SET status = ?, approvals = ?, decided_by = ?, reason = ? WHERE id = ?`),
			a.Status, jsonText(a.Approvals), a.DecidedBy, a.Reason, id); err != nil {
			return err
		}
		out = a
		return s.db.Audit(ctx, tx, "update", "approval_request", strconv.FormatInt(id, 10), before, a)
	})
	if err != nil {
		return out, false, err
	}
	return out, moved, nil
}
