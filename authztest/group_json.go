package authztest

// groupJSON is a group (object "group", the official spec's Group): the
// answer of the group operations and the data of group.* events.
type groupJSON struct {
	Object         string  `json:"object"`
	ID             string  `json:"id"`
	OrganizationID string  `json:"organization_id"`
	Name           string  `json:"name"`
	Description    *string `json:"description"`
	CreatedAt      string  `json:"created_at"`
	UpdatedAt      string  `json:"updated_at"`
}

func renderGroup(g *group) groupJSON {
	return groupJSON{Object: "group", ID: g.id, OrganizationID: g.orgID, Name: g.name, Description: g.description,
		CreatedAt: ts(g.created), UpdatedAt: ts(g.updated)}
}
