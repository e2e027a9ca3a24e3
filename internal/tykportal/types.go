package tykportal

import (
	"encoding/json"
	"strconv"

	"gatehouse/internal/portal"
)

// AccessRequest is the portal's AccessRequest-basic / -index-elem. User,
// Client and Plan are display names ("User#1", app name, plan name), not
// ids; Products is a string of names in /access_requests and an array in
// /apps/{id}/access-requests: Names reads both.
type AccessRequest struct {
	ID                   int64       `json:"ID"`
	Status               string      `json:"Status"` // pending | approved | rejected
	User                 string      `json:"User"`
	Client               string      `json:"Client"`
	Plan                 string      `json:"Plan"`
	Products             Names       `json:"Products"`
	Catalogue            string      `json:"Catalogue"`
	AuthType             string      `json:"AuthType"`
	DCREnabled           bool        `json:"DCREnabled"`
	ProvisionImmediately bool        `json:"ProvisionImmediately"`
	CreatedAt            portal.Time `json:"CreatedAt"` // "2023-06-25 13:37"
	UpdatedAt            portal.Time `json:"UpdatedAt"`
}

// Names is a list of names sent either as one string or as an array.
type Names []string

// UnmarshalJSON implements json.Unmarshaler.
func (n *Names) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s == "" {
			*n = nil
		} else {
			*n = Names{s}
		}
		return nil
	}
	var a []string
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*n = a
	return nil
}

// Team is a team as User-show lists it.
type Team struct {
	ID   int64  `json:"ID"`
	Name string `json:"Name"`
}

// User is the portal's User-show without JWTToken: Gatehouse never holds a
// portal user's API credential, so it is not decoded.
type User struct {
	ID             int64       `json:"ID"`
	Active         bool        `json:"Active"`
	Email          string      `json:"Email"`
	First          string      `json:"First"`
	Last           string      `json:"Last"`
	OrganisationID int64       `json:"OrganisationID"`
	Organisation   string      `json:"Organisation"`
	Role           string      `json:"Role"`
	Provider       string      `json:"Provider"`
	ResetPassword  bool        `json:"ResetPassword"`
	Teams          []Team      `json:"Teams"`
	CreatedAt      portal.Time `json:"CreatedAt"`
	UpdatedAt      portal.Time `json:"UpdatedAt"`
}

// UserUpdate is the portal's User-update: User-basis plus Teams (team IDs
// as strings, as the OpenAPI types them) and ResetPassword. Every field is
// sent, since the portal replaces the user.
type UserUpdate struct {
	Active         bool     `json:"Active"`
	Email          string   `json:"Email"`
	First          string   `json:"First"`
	Last           string   `json:"Last"`
	OrganisationID int64    `json:"OrganisationID"`
	Role           string   `json:"Role"`
	Provider       string   `json:"Provider"`
	ResetPassword  bool     `json:"ResetPassword"`
	Teams          []string `json:"Teams,omitempty"`
}

// Update is the User-update that writes u back unchanged.
func (u User) Update() UserUpdate {
	up := UserUpdate{Active: u.Active, Email: u.Email, First: u.First, Last: u.Last,
		OrganisationID: u.OrganisationID, Role: u.Role, Provider: u.Provider, ResetPassword: u.ResetPassword}
	for _, t := range u.Teams {
		up.Teams = append(up.Teams, strconv.FormatInt(t.ID, 10))
	}
	return up
}

// Organisation is the portal's Organisation-show (Teams and Users left out).
type Organisation struct {
	ID        int64       `json:"ID"`
	Name      string      `json:"Name"`
	CreatedAt portal.Time `json:"CreatedAt"`
}
