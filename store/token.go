package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsgate/opsgate"
)

var _ opsgate.TokenService = (*TokenService)(nil)

// minTokenLen bounds imported tokens from below: webhook and admin tokens guard write access, and
// Mattermost's own are 26 characters. Generated tokens have 192 random bits.
const minTokenLen = 12

// generatedMarker starts every generated token: public, so secret scanners can spot a leaked one.
const generatedMarker = "ogt_"

// maxPrefix is how many characters of a token lists and the audit log show.
const maxPrefix = 4

// tokenPrefix is what tells tokens apart in lists and the audit log: at most 4 characters and a
// quarter of the token, after the marker of a generated one (the marker tells nothing apart).
// Characters, not bytes: a cut é is not storable text.
func tokenPrefix(token string) string {
	rest := strings.TrimPrefix(token, generatedMarker)
	n := min(maxPrefix, utf8.RuneCountInString(token)/4)
	for i := range rest {
		if n == 0 {
			return rest[:i]
		}
		n--
	}
	return rest
}

// shortenAuditedTokenPrefixes rewrites the prefixes that audit rows of tokens recorded before
// prefixes were cut to 4 characters (migration 0006). Only the prefix's text changes, so the
// rest of each row reads as it was written.
func shortenAuditedTokenPrefixes(ctx context.Context, tx *sql.Tx, db *DB) error {
	rows, err := tx.QueryContext(ctx, db.Rebind(`SELECT id, before_doc, after_doc FROM audit_log WHERE object = ?`), "token")
	if err != nil {
		return err
	}
	type row struct {
		id            int64
		before, after sql.NullString
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.before, &r.after); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range all {
		before, b := shortenPrefixIn(r.before.String)
		after, a := shortenPrefixIn(r.after.String)
		if !b && !a {
			continue
		}
		if _, err := tx.ExecContext(ctx, db.Rebind(`UPDATE audit_log SET before_doc = ?, after_doc = ? WHERE id = ?`),
			sql.NullString{String: before, Valid: r.before.Valid}, sql.NullString{String: after, Valid: r.after.Valid}, r.id); err != nil {
			return err
		}
	}
	return nil
}

// shortenPrefixIn cuts the "prefix" of a token's JSON document to what tokenPrefix keeps of an
// old prefix (old ones were up to 6 characters of the token, the marker included).
func shortenPrefixIn(doc string) (string, bool) {
	var t struct {
		Prefix *string `json:"prefix"`
	}
	if doc == "" || json.Unmarshal([]byte(doc), &t) != nil || t.Prefix == nil {
		return doc, false
	}
	short := shortenOldPrefix(*t.Prefix)
	if short == *t.Prefix {
		return doc, false
	}
	oldJSON, _ := json.Marshal(*t.Prefix)
	newJSON, _ := json.Marshal(short)
	return strings.Replace(doc, `"prefix":`+string(oldJSON), `"prefix":`+string(newJSON), 1), true
}

// shortenOldPrefix is the migration's rule, the same as the SQL in 0006_token_prefix.sql.
func shortenOldPrefix(p string) string {
	p = strings.TrimPrefix(p, generatedMarker)
	if r := []rune(p); len(r) > maxPrefix {
		return string(r[:maxPrefix])
	}
	return p
}

// TokenService stores command tokens as SHA-256 hashes.
type TokenService struct {
	db *DB
	// Platform, when set, checks and spells a token's platform (kit.TokenPlatform in opsgate), so
	// that every door refuses the same names with the same words.
	Platform func(name string) (string, error)
}

// NewTokenService returns the token store for db.
func NewTokenService(db *DB) *TokenService { return &TokenService{db: db} }

// HashToken returns the hex SHA-256 of a token, the form stored and compared.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// FindTokens returns the tokens of platform ("" for all), ordered by id.
func (s *TokenService) FindTokens(ctx context.Context, platform string) ([]*opsgate.CommandToken, error) {
	q := `SELECT id, platform, comment, prefix, hash, created_at FROM command_tokens`
	var args []any
	if platform != "" {
		q += ` WHERE platform = ?`
		args = append(args, platform)
	}
	rows, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(q+` ORDER BY id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*opsgate.CommandToken
	for rows.Next() {
		var t opsgate.CommandToken
		var created int64
		if err := rows.Scan(&t.ID, &t.Platform, &t.Comment, &t.Prefix, &t.Hash, &created); err != nil {
			return nil, err
		}
		t.CreatedAt = FromTime(created)
		out = append(out, &t)
	}
	return out, rows.Err()
}

// CreateToken stores token (or a new random one when empty) and returns it in plain: the only time it is shown.
func (s *TokenService) CreateToken(ctx context.Context, t *opsgate.CommandToken, token string) (string, error) {
	t.Platform = strings.ToLower(strings.TrimSpace(t.Platform))
	if t.Platform == "" || strings.ContainsAny(t.Platform, " \t\r\n") {
		return "", opsgate.Errorf(opsgate.EINVALID, "Token platform is required (e.g. mattermost, webhook).")
	}
	if s.Platform != nil {
		p, err := s.Platform(t.Platform)
		if err != nil {
			return "", err
		}
		t.Platform = p
	}
	if token == "" {
		b := make([]byte, 24)
		rand.Read(b)
		token = generatedMarker + base64.RawURLEncoding.EncodeToString(b)
	} else if len(token) < minTokenLen || strings.ContainsAny(token, " \t\r\n") {
		return "", opsgate.Errorf(opsgate.EINVALID, "Token must be at least %d characters with no whitespace.", minTokenLen)
	}
	if err := opsgate.ValidateText("Token comment", t.Comment); err != nil {
		return "", err
	}
	if err := opsgate.ValidateText("Token platform", t.Platform); err != nil {
		return "", err
	}
	t.Hash = HashToken(token)
	t.Prefix = tokenPrefix(token)
	t.CreatedAt = s.db.Now().UTC().Truncate(time.Microsecond)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		id, err := s.db.Insert(ctx, tx, `INSERT INTO command_tokens (platform, comment, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			t.Platform, t.Comment, t.Prefix, t.Hash, Time(t.CreatedAt))
		if err != nil {
			return err
		}
		t.ID = id
		return s.db.Audit(ctx, tx, "create", "token", strconv.FormatInt(id, 10), nil, t)
	})
	if IsUniqueViolation(err) {
		return "", opsgate.Errorf(opsgate.ECONFLICT, "This token is already stored.")
	} else if err != nil {
		return "", err
	}
	return token, nil
}

// DeleteToken removes a token. Returns ENOTFOUND if it does not exist.
func (s *TokenService) DeleteToken(ctx context.Context, id int64) error {
	all, err := s.FindTokens(ctx, "")
	if err != nil {
		return err
	}
	var before *opsgate.CommandToken
	for _, t := range all {
		if t.ID == id {
			before = t
		}
	}
	if before == nil {
		return opsgate.Errorf(opsgate.ENOTFOUND, "Token %d does not exist.", id)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM command_tokens WHERE id = ?`), id); err != nil {
			return err
		}
		return s.db.Audit(ctx, tx, "delete", "token", strconv.FormatInt(id, 10), before, nil)
	})
}

// VerifyToken compares the hash of token with every token of platform in constant time, so the
// answer's timing says nothing about how close a guess was.
func (s *TokenService) VerifyToken(ctx context.Context, platform, token string) (*opsgate.CommandToken, error) {
	if token == "" {
		return nil, opsgate.Errorf(opsgate.EUNAUTHORIZED, "Missing token.")
	}
	all, err := s.FindTokens(ctx, platform)
	if err != nil {
		return nil, err
	}
	h := []byte(HashToken(token))
	var found *opsgate.CommandToken
	for _, t := range all {
		if subtle.ConstantTimeCompare(h, []byte(t.Hash)) == 1 {
			found = t
		}
	}
	if found == nil {
		return nil, opsgate.Errorf(opsgate.EUNAUTHORIZED, "Unknown token for platform %s.", platform)
	}
	return found, nil
}
