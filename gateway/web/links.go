package web

import (
	"context"
	"time"

	"gatehouse/internal/linktoken"
	"gatehouse/internal/site"
)

// MintLink issues a fresh link of purpose (a magic link or a set-password
// link) for a user of st and returns it with its expiry (the site's linkExpirySeconds). Only the token's hash is
// stored; the user's older unused links are revoked, so the newest link is
// the only one that works. mayBeNew lets the webhook mint before its
// workflow has created the user. A blocked user gets store.ErrUserBlocked.
func (d *Deps) MintLink(ctx context.Context, st *site.Site, userID, purpose string, mayBeNew bool) (string, time.Time, error) {
	token, hash, err := linktoken.New()
	if err != nil {
		return "", time.Time{}, err
	}
	expiresAt := time.Now().UTC().Add(time.Duration(st.Registration.LinkExpirySeconds) * time.Second).Truncate(time.Second)
	if err := d.Store.IssueLink(ctx, st.ID, userID, purpose, hash, expiresAt, mayBeNew); err != nil {
		return "", time.Time{}, err
	}
	return linktoken.URL(d.Config.PublicURL, purpose, token), expiresAt, nil
}
