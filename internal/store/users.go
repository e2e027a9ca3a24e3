package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"gatehouse/internal/domain"
	"gatehouse/internal/mapping"
)

// User is a registrant as the API shows it and as events carry it. It never
// holds a password hash or token.
type User struct {
	ID               string            `json:"id"`
	SiteID           string            `json:"siteId"`
	Email            string            `json:"email"`
	FirstName        string            `json:"firstName"`
	LastName         string            `json:"lastName"`
	Role             string            `json:"role"`
	Language         string            `json:"language"`
	Groups           []string          `json:"groups"`
	Tags             []string          `json:"tags"`
	Status           string            `json:"status"`
	UserObject       map[string]string `json:"userObject"`
	RegistrationInfo map[string]any    `json:"registrationInfo"`
	ActivatedAt      *time.Time        `json:"activatedAt,omitempty"`
	CreatedAt        time.Time         `json:"createdAt"`
	UpdatedAt        time.Time         `json:"updatedAt"`
}

type userRow struct {
	ID               string       `db:"id"`
	SiteID           string       `db:"site_id"`
	Email            string       `db:"email"`
	FirstName        string       `db:"first_name"`
	LastName         string       `db:"last_name"`
	Role             string       `db:"role"`
	Language         string       `db:"language"`
	Tags             []byte       `db:"tags"`
	Status           string       `db:"status"`
	UserObject       []byte       `db:"user_object"`
	RegistrationInfo []byte       `db:"registration_info"`
	DataReceivedAt   time.Time    `db:"data_received_at"`
	ActivatedAt      sql.NullTime `db:"activated_at"`
	CreatedAt        time.Time    `db:"created_at"`
	UpdatedAt        time.Time    `db:"updated_at"`
}

const userColumns = `id, site_id, email, first_name, last_name, role, language, tags, status, user_object,
	registration_info, data_received_at, activated_at, created_at, updated_at`

func (r userRow) user(groups []string) (User, error) {
	u := User{ID: r.ID, SiteID: r.SiteID, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, Role: r.Role,
		Language: r.Language, Status: r.Status, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Groups: groups}
	if u.Groups == nil {
		u.Groups = []string{}
	}
	if r.ActivatedAt.Valid {
		t := r.ActivatedAt.Time
		u.ActivatedAt = &t
	}
	err := errors.Join(json.Unmarshal(r.Tags, &u.Tags), json.Unmarshal(r.UserObject, &u.UserObject),
		json.Unmarshal(r.RegistrationInfo, &u.RegistrationInfo))
	return u, err
}

// UpsertUserParams is one submission to apply.
type UpsertUserParams struct {
	SiteID     string
	UserID     string
	Action     domain.UpsertAction
	Registrant mapping.Registrant
	// ExplicitRole applies Registrant.Role to an existing user too (a CRM
	// chose it); otherwise the role is only set when the user is created.
	ExplicitRole bool
	ReceivedAt   time.Time
	Source       string
}

// UpsertUserResult reports what changed.
type UpsertUserResult struct {
	User    User
	Created bool
	Changed []string // field names, empty when nothing changed
	Missing bool     // update or update_tags for a user that does not exist
	Stale   bool     // older than data already applied: ignored
}

// UpsertUser applies a submission in one transaction and records the
// UserRegistered or UserUpdated event with it. Safe to repeat: a repeat
// changes nothing and records nothing.
func (s *Store) UpsertUser(ctx context.Context, p UpsertUserParams) (UpsertUserResult, error) {
	var res UpsertUserResult
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var row userRow
		err := tx.GetContext(ctx, &row, "SELECT "+userColumns+" FROM users WHERE id = ? FOR UPDATE", p.UserID)
		if errors.Is(err, sql.ErrNoRows) {
			if p.Action != domain.ActionRegister {
				res.Missing = true
				return nil
			}
			return s.insertUser(ctx, tx, p, &res)
		}
		if err != nil {
			return err
		}
		groups, err := userGroups(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		old, err := row.user(groups)
		if err != nil {
			return err
		}
		if p.ReceivedAt.Before(row.DataReceivedAt) && p.Action != domain.ActionTags {
			res.User, res.Stale = old, true
			return nil
		}
		next := merge(old, p)
		res.Changed = diff(old, next)
		res.User = next
		if len(res.Changed) == 0 {
			return nil
		}
		now := time.Now().UTC()
		next.UpdatedAt = now
		res.User = next
		if err := writeUser(ctx, tx, next, p.ReceivedAt, false); err != nil {
			return err
		}
		return insertEvent(ctx, tx, UserEvent(domain.EventUserUpdated, next, res.Changed, p.Source, now))
	})
	return res, err
}

func (s *Store) insertUser(ctx context.Context, tx *sqlx.Tx, p UpsertUserParams, res *UpsertUserResult) error {
	r := p.Registrant
	now := time.Now().UTC()
	u := User{ID: p.UserID, SiteID: p.SiteID, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, Role: r.Role,
		Language: r.Language, Groups: sortedUnique(r.Groups), Tags: r.Tags, Status: domain.UserPending, UserObject: r.UserObject,
		RegistrationInfo: r.RegistrationInfo, CreatedAt: now, UpdatedAt: now}
	if u.Tags == nil {
		u.Tags = []string{}
	}
	if err := writeUser(ctx, tx, u, p.ReceivedAt, true); err != nil {
		return err
	}
	res.User, res.Created = u, true
	return insertEvent(ctx, tx, UserEvent(domain.EventUserRegistered, u, nil, p.Source, now))
}

// merge applies a submission to a user: newer values win, groups and user
// object and registration fields accumulate, tags are replaced when given.
func merge(u User, p UpsertUserParams) User {
	r := p.Registrant
	next := u
	next.Groups = slices.Clone(u.Groups)
	next.UserObject = maps.Clone(u.UserObject)
	next.RegistrationInfo = maps.Clone(u.RegistrationInfo)
	if r.Tags != nil {
		next.Tags = r.Tags
	}
	if p.Action == domain.ActionTags {
		return next
	}
	if r.FirstName != "" {
		next.FirstName = r.FirstName
	}
	if r.LastName != "" {
		next.LastName = r.LastName
	}
	if r.Language != "" {
		next.Language = r.Language
	}
	if p.ExplicitRole && r.Role != "" {
		next.Role = r.Role
	}
	next.Groups = sortedUnique(append(next.Groups, r.Groups...))
	if next.UserObject == nil {
		next.UserObject = map[string]string{}
	}
	maps.Copy(next.UserObject, r.UserObject)
	if next.RegistrationInfo == nil {
		next.RegistrationInfo = map[string]any{}
	}
	maps.Copy(next.RegistrationInfo, r.RegistrationInfo)
	return next
}

func diff(a, b User) []string {
	var out []string
	eq := func(x, y any) bool {
		bx, _ := json.Marshal(x)
		by, _ := json.Marshal(y)
		return string(bx) == string(by)
	}
	for _, f := range []struct {
		name string
		x, y any
	}{
		{"firstName", a.FirstName, b.FirstName}, {"lastName", a.LastName, b.LastName}, {"role", a.Role, b.Role},
		{"language", a.Language, b.Language}, {"groups", a.Groups, b.Groups}, {"tags", a.Tags, b.Tags},
		{"status", a.Status, b.Status}, {"userObject", a.UserObject, b.UserObject},
		{"registrationInfo", a.RegistrationInfo, b.RegistrationInfo},
	} {
		if !eq(f.x, f.y) {
			out = append(out, f.name)
		}
	}
	return out
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func writeUser(ctx context.Context, tx *sqlx.Tx, u User, receivedAt time.Time, insert bool) error {
	tags, _ := json.Marshal(u.Tags)
	obj, _ := json.Marshal(u.UserObject)
	info, err := json.Marshal(u.RegistrationInfo)
	if err != nil {
		return err
	}
	if insert {
		_, err = tx.ExecContext(ctx, `INSERT INTO users (id, site_id, email, first_name, last_name, role, language, tags, status,
			user_object, registration_info, data_received_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.SiteID, u.Email, u.FirstName, u.LastName, u.Role, u.Language, tags, u.Status, obj, info, receivedAt.UTC(), u.CreatedAt, u.UpdatedAt)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE users SET first_name = ?, last_name = ?, role = ?, language = ?, tags = ?,
			user_object = ?, registration_info = ?, data_received_at = GREATEST(data_received_at, ?), updated_at = ? WHERE id = ?`,
			u.FirstName, u.LastName, u.Role, u.Language, tags, obj, info, receivedAt.UTC(), u.UpdatedAt, u.ID)
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM user_groups WHERE user_id = ?", u.ID); err != nil {
		return err
	}
	for _, g := range u.Groups {
		if _, err := tx.ExecContext(ctx, "INSERT INTO user_groups (user_id, group_id, site_id) VALUES (?, ?, ?)", u.ID, g, u.SiteID); err != nil {
			return err
		}
	}
	return nil
}

type querier interface {
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

func userGroups(ctx context.Context, q querier, userID string) ([]string, error) {
	groups := []string{}
	err := q.SelectContext(ctx, &groups, "SELECT group_id FROM user_groups WHERE user_id = ? ORDER BY group_id", userID)
	return groups, err
}

// GetUser returns one user of a site.
func (s *Store) GetUser(ctx context.Context, siteID, userID string) (User, error) {
	var row userRow
	if err := s.db.GetContext(ctx, &row, "SELECT "+userColumns+" FROM users WHERE id = ? AND site_id = ?", userID, siteID); err != nil {
		return User{}, notFound(err)
	}
	groups, err := userGroups(ctx, s.db, userID)
	if err != nil {
		return User{}, err
	}
	return row.user(groups)
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	Email    string // exact, after normalisation
	Status   string
	Group    string
	Page     int // 1-based
	PageSize int
}

// ListUsers returns one page of a site's users, newest first, and the total.
func (s *Store) ListUsers(ctx context.Context, siteID string, f UserFilter) ([]User, int, error) {
	where := []string{"u.site_id = ?"}
	args := []any{siteID}
	if f.Email != "" {
		where, args = append(where, "u.email = ?"), append(args, mapping.NormalizeEmail(f.Email))
	}
	if f.Status != "" {
		where, args = append(where, "u.status = ?"), append(args, f.Status)
	}
	if f.Group != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM user_groups g WHERE g.user_id = u.id AND g.group_id = ?)"), append(args, f.Group)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.GetContext(ctx, &total, "SELECT COUNT(*) FROM users u WHERE "+cond, args...); err != nil {
		return nil, 0, err
	}
	var rows []userRow
	err := s.db.SelectContext(ctx, &rows, "SELECT "+prefixed("u.", userColumns)+" FROM users u WHERE "+cond+
		" ORDER BY u.created_at DESC, u.id LIMIT ? OFFSET ?", append(args, f.PageSize, (f.Page-1)*f.PageSize)...)
	if err != nil {
		return nil, 0, err
	}
	users := make([]User, 0, len(rows))
	for _, r := range rows {
		groups, err := userGroups(ctx, s.db, r.ID)
		if err != nil {
			return nil, 0, err
		}
		u, err := r.user(groups)
		if err != nil {
			return nil, 0, err
		}
		users = append(users, u)
	}
	return users, total, nil
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// DeleteUser removes a user, its groups and tokens, and records UserDeleted.
func (s *Store) DeleteUser(ctx context.Context, siteID, userID, source string) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		var row userRow
		if err := tx.GetContext(ctx, &row, "SELECT "+userColumns+" FROM users WHERE id = ? AND site_id = ? FOR UPDATE", userID, siteID); err != nil {
			return notFound(err)
		}
		groups, err := userGroups(ctx, tx, userID)
		if err != nil {
			return err
		}
		u, err := row.user(groups)
		if err != nil {
			return err
		}
		for _, q := range []string{"DELETE FROM link_tokens WHERE user_id = ?", "DELETE FROM user_groups WHERE user_id = ?", "DELETE FROM users WHERE id = ?"} {
			if _, err := tx.ExecContext(ctx, q, userID); err != nil {
				return err
			}
		}
		return insertEvent(ctx, tx, UserEvent(domain.EventUserDeleted, u, nil, source, time.Now().UTC()))
	})
}
