package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"github.com/opsgate/opsgate"
)

// TeamsConversation is where a Teams conversation is reached: saved from a verified activity,
// read back for proactive messages (StackStorm announcements, webhook posts).
type TeamsConversation struct {
	ConversationID string
	ServiceURL     string
	TenantID       string
	BotID          string
	UpdatedAt      time.Time
}

// TeamsUser is a person by Entra object id: their Teams user id (to open a 1:1 conversation
// with them) and that conversation once it exists.
type TeamsUser struct {
	AADObjectID            string
	UserID                 string
	ServiceURL             string
	TenantID               string
	BotID                  string
	PersonalConversationID string
	UpdatedAt              time.Time
}

// TeamsService stores Teams conversation references.
type TeamsService struct{ db *DB }

// NewTeamsService returns the Teams store for db.
func NewTeamsService(db *DB) *TeamsService { return &TeamsService{db: db} }

func conversationKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// SaveConversation inserts or replaces the reference of c.ConversationID. Replicas saving the
// same conversation at once all succeed: the reference is the same.
func (s *TeamsService) SaveConversation(ctx context.Context, c TeamsConversation) error {
	if c.ConversationID == "" || c.ServiceURL == "" {
		return opsgate.Errorf(opsgate.EINVALID, "A Teams conversation reference needs a conversation id and a service URL.")
	}
	key := conversationKey(c.ConversationID)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM teams_conversations WHERE key_hash = ?`), key); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO teams_conversations (key_hash, conversation_id, service_url, tenant_id, bot_id, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`), key, c.ConversationID, c.ServiceURL, c.TenantID, c.BotID, Time(s.db.Now()))
		return err
	})
	if IsUniqueViolation(err) {
		return nil // another replica saved it in between
	}
	return err
}

// FindConversation returns ENOTFOUND when no verified activity came from conversation id.
func (s *TeamsService) FindConversation(ctx context.Context, id string) (*TeamsConversation, error) {
	c := TeamsConversation{}
	var updated int64
	err := s.db.SQL.QueryRowContext(ctx, s.db.Rebind(`SELECT conversation_id, service_url, tenant_id, bot_id, updated_at
		FROM teams_conversations WHERE key_hash = ?`), conversationKey(id)).Scan(&c.ConversationID, &c.ServiceURL, &c.TenantID, &c.BotID, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "Teams conversation %q has not talked to opsgate yet: add the bot to it and mention it once.", id)
	} else if err != nil {
		return nil, err
	}
	c.UpdatedAt = FromTime(updated)
	return &c, nil
}

// FindConversations returns up to limit conversation references, most recently heard from first.
func (s *TeamsService) FindConversations(ctx context.Context, limit int) ([]TeamsConversation, error) {
	rows, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(`SELECT conversation_id, service_url, tenant_id, bot_id, updated_at
		FROM teams_conversations ORDER BY updated_at DESC LIMIT ?`), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TeamsConversation
	for rows.Next() {
		var c TeamsConversation
		var updated int64
		if err := rows.Scan(&c.ConversationID, &c.ServiceURL, &c.TenantID, &c.BotID, &updated); err != nil {
			return nil, err
		}
		c.UpdatedAt = FromTime(updated)
		out = append(out, c)
	}
	return out, rows.Err()
}

// SaveUser inserts or replaces the reference of u.AADObjectID; an empty PersonalConversationID
// keeps the one already stored.
func (s *TeamsService) SaveUser(ctx context.Context, u TeamsUser) error {
	if u.AADObjectID == "" || u.UserID == "" || u.ServiceURL == "" {
		return opsgate.Errorf(opsgate.EINVALID, "A Teams user reference needs an Entra object id, a user id and a service URL.")
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if u.PersonalConversationID == "" {
			var kept string
			err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT personal_conversation_id FROM teams_users WHERE aad_object_id = ?`), u.AADObjectID).Scan(&kept)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			u.PersonalConversationID = kept
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM teams_users WHERE aad_object_id = ?`), u.AADObjectID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO teams_users (aad_object_id, user_id, service_url, tenant_id, bot_id, personal_conversation_id, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), u.AADObjectID, u.UserID, u.ServiceURL, u.TenantID, u.BotID, u.PersonalConversationID, Time(s.db.Now()))
		return err
	})
	if IsUniqueViolation(err) {
		return nil // another replica saved the same person in between
	}
	return err
}

// FindUser returns ENOTFOUND when the person never wrote to the bot.
func (s *TeamsService) FindUser(ctx context.Context, aadObjectID string) (*TeamsUser, error) {
	u := TeamsUser{AADObjectID: aadObjectID}
	var updated int64
	err := s.db.SQL.QueryRowContext(ctx, s.db.Rebind(`SELECT user_id, service_url, tenant_id, bot_id, personal_conversation_id, updated_at
		FROM teams_users WHERE aad_object_id = ?`), aadObjectID).Scan(&u.UserID, &u.ServiceURL, &u.TenantID, &u.BotID, &u.PersonalConversationID, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "Teams user %q has not talked to opsgate yet: they must write to the bot once.", aadObjectID)
	} else if err != nil {
		return nil, err
	}
	u.UpdatedAt = FromTime(updated)
	return &u, nil
}
