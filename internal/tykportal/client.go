// Package tykportal is a typed client for the Tyk Enterprise Developer
// Portal's admin API (OpenAPI 1.14), limited to the calls Gatehouse makes
// to act on approvals: access requests, users, organisations.
//
// Base `{baseUrl}/portal-api`; header `Authorization: <token>` (the raw
// admin token, no "Bearer"). The caller passes the *http.Client, normally
// outbound's SSRF-guarded one, since baseUrl is operator-supplied.
package tykportal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// APIPrefix is the admin API's path under the portal's baseUrl.
const APIPrefix = "/portal-api"

// DefaultTimeout bounds one call when the context has no earlier deadline.
const DefaultTimeout = 30 * time.Second

// maxResponse caps what is read of an answer; a user list page is far less.
const maxResponse = 4 << 20

// Client calls one portal's admin API.
type Client struct {
	base    string // {baseUrl}/portal-api, no trailing slash
	token   string
	hc      *http.Client
	timeout time.Duration
}

// New checks baseURL (absolute http or https, no query or fragment) and
// returns a client. token is sent verbatim; it never appears in errors.
func New(baseURL, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tykportal: baseUrl must be an absolute http(s) URL, got %q", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("tykportal: baseUrl must not have a query, fragment or user info")
	}
	if token == "" || strings.ContainsAny(token, "\r\n") {
		return nil, errors.New("tykportal: admin token is empty or has a line break")
	}
	if hc == nil {
		return nil, errors.New("tykportal: nil *http.Client (pass the outbound client)")
	}
	base := strings.TrimRight(u.String(), "/") + APIPrefix
	return &Client{base: base, token: token, hc: hc, timeout: DefaultTimeout}, nil
}

// StatusMessage is the portal's StatusWithMessage.
type StatusMessage struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// ApproveAccessRequest is PUT /access_requests/{id}/approve (no body). The
// portal then creates credentials in the gateway or identity provider; when
// that fails, or the request is decided already, it answers 422
// (RejectedError).
func (c *Client) ApproveAccessRequest(ctx context.Context, id int64) (StatusMessage, error) {
	var out StatusMessage
	err := c.do(ctx, "approve access request "+itoa(id), http.MethodPut, "/access_requests/"+itoa(id)+"/approve", nil, &out)
	return out, err
}

// RejectAccessRequest is PUT /access_requests/{id}/reject (no body).
func (c *Client) RejectAccessRequest(ctx context.Context, id int64) (StatusMessage, error) {
	var out StatusMessage
	err := c.do(ctx, "reject access request "+itoa(id), http.MethodPut, "/access_requests/"+itoa(id)+"/reject", nil, &out)
	return out, err
}

// AccessRequest is GET /access_requests/{id}.
func (c *Client) AccessRequest(ctx context.Context, id int64) (AccessRequest, error) {
	var out AccessRequest
	err := c.do(ctx, "get access request "+itoa(id), http.MethodGet, "/access_requests/"+itoa(id), nil, &out)
	return out, err
}

// AccessRequests is one page (1-based; perPage 0 is the portal's default,
// 20) of GET /access_requests.
func (c *Client) AccessRequests(ctx context.Context, page, perPage int) ([]AccessRequest, error) {
	var out []AccessRequest
	err := c.do(ctx, "list access requests", http.MethodGet, "/access_requests"+pageQuery(page, perPage), nil, &out)
	return out, err
}

// AppAccessRequests is one page of GET /apps/{appId}/access-requests: how
// an AccessRequestCreated sent with ID 0 finds its request.
func (c *Client) AppAccessRequests(ctx context.Context, appID int64, page, perPage int) ([]AccessRequest, error) {
	var out []AccessRequest
	err := c.do(ctx, "list access requests of app "+itoa(appID), http.MethodGet,
		"/apps/"+itoa(appID)+"/access-requests"+pageQuery(page, perPage), nil, &out)
	return out, err
}

// User is GET /users/{id}.
func (c *Client) User(ctx context.Context, id int64) (User, error) {
	var out User
	err := c.do(ctx, "get user "+itoa(id), http.MethodGet, "/users/"+itoa(id), nil, &out)
	return out, err
}

// UpdateUser is PUT /users/{id} with a full User-update.
func (c *Client) UpdateUser(ctx context.Context, id int64, u UserUpdate) (User, error) {
	var out User
	err := c.do(ctx, "update user "+itoa(id), http.MethodPut, "/users/"+itoa(id), u, &out)
	return out, err
}

// ActivateUser approves a self-registered developer: it reads the user and
// writes it back whole with Active true. A user already active is left
// alone (no PUT), so a retried activation is harmless.
func (c *Client) ActivateUser(ctx context.Context, id int64) (User, error) {
	u, err := c.User(ctx, id)
	if err != nil || u.Active {
		return u, err
	}
	up := u.Update()
	up.Active = true
	return c.UpdateUser(ctx, id, up)
}

// MoveUserToOrganisation puts the user into organisation orgID (the
// organisation-request approval under policy create-organisation). The
// user's teams belong to the old organisation and are not sent, so the
// portal places the user in the new organisation's default team.
func (c *Client) MoveUserToOrganisation(ctx context.Context, userID, orgID int64) (User, error) {
	u, err := c.User(ctx, userID)
	if err != nil || u.OrganisationID == orgID {
		return u, err
	}
	up := u.Update()
	up.OrganisationID = orgID
	up.Teams = nil
	return c.UpdateUser(ctx, userID, up)
}

// DeleteUser is DELETE /users/{id} (a registration rejected under a
// delete policy). The user's apps and credentials go with it.
func (c *Client) DeleteUser(ctx context.Context, id int64) error {
	var out StatusMessage
	return c.do(ctx, "delete user "+itoa(id), http.MethodDelete, "/users/"+itoa(id), nil, &out)
}

// CreateOrganisation is POST /organisations {"Name"} (200, Organisation-show).
func (c *Client) CreateOrganisation(ctx context.Context, name string) (Organisation, error) {
	var out Organisation
	err := c.do(ctx, "create organisation", http.MethodPost, "/organisations", map[string]string{"Name": name}, &out)
	return out, err
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func pageQuery(page, perPage int) string {
	q := url.Values{}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if perPage > 0 {
		q.Set("per_page", strconv.Itoa(perPage))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// do sends one request and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, op, method, path string, in, out any) error {
	if _, ok := ctx.Deadline(); !ok && c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &Error{Op: op, Err: err}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	req.Header.Set("Authorization", c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return transportError(op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return transportError(op, err)
	}
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		if err := json.Unmarshal(raw, out); err != nil {
			return &Error{Op: op, Status: s, Message: "undecodable answer", Err: err}
		}
		return nil
	case s == http.StatusUnprocessableEntity:
		return &RejectedError{Op: op, Message: portalMessage(raw)}
	default:
		return &Error{Op: op, Status: s, Message: portalMessage(raw), Retryable: statusRetryable(s)}
	}
}

// portalMessage reads StatusWithMessage.message or OnlyErrors.errors (the
// two error shapes of the OpenAPI), else a short excerpt of the body, as
// valid UTF-8 of at most 512 bytes.
func portalMessage(raw []byte) string {
	var v struct {
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	msg := ""
	if json.Unmarshal(raw, &v) == nil {
		switch {
		case v.Message != "":
			msg = v.Message
		case len(v.Errors) > 0:
			msg = strings.Join(v.Errors, "; ")
		}
	}
	if msg == "" {
		msg = strings.TrimSpace(string(raw))
	}
	return clampUTF8(msg, 512)
}

func clampUTF8(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
