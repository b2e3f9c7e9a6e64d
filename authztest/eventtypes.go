package authztest

// Event types of WorkOS's official OpenAPI spec, copied from it (generated:
// the "const" of every EventSchema variant; the events enum of
// CreateWebhookEndpointDto is that list less the types named below). GET
// /events accepts only eventTypes in its events filter; /webhook_endpoints
// accepts only webhookEventTypes.

// eventTypes are the types GET /events knows.
var eventTypes = setOf(
	"action.authentication.denied",
	"action.user_registration.denied",
	"agent.registration.claim.attempt.created",
	"agent.registration.claim.completed",
	"agent.registration.created",
	"agent.registration.credential.issued",
	"agent.registration.deleted",
	"agent.registration.expired",
	"agent.registration.organization.switched",
	"agent.registration.refreshed",
	"agent.registration.revoked",
	"api_key.created",
	"api_key.revoked",
	"api_key.updated",
	"authentication.email_verification_failed",
	"authentication.email_verification_succeeded",
	"authentication.magic_auth_failed",
	"authentication.magic_auth_succeeded",
	"authentication.mfa_failed",
	"authentication.mfa_succeeded",
	"authentication.oauth_failed",
	"authentication.oauth_succeeded",
	"authentication.passkey_failed",
	"authentication.passkey_succeeded",
	"authentication.password_failed",
	"authentication.password_succeeded",
	"authentication.radar_risk_detected",
	"authentication.reauthentication_succeeded",
	"authentication.sso_failed",
	"authentication.sso_started",
	"authentication.sso_succeeded",
	"authentication.sso_timed_out",
	"connection.activated",
	"connection.deactivated",
	"connection.deleted",
	"connection.saml_certificate_renewal_required",
	"connection.saml_certificate_renewed",
	"dsync.activated",
	"dsync.deleted",
	"dsync.group.created",
	"dsync.group.deleted",
	"dsync.group.updated",
	"dsync.group.user_added",
	"dsync.group.user_removed",
	"dsync.token.created",
	"dsync.token.revoked",
	"dsync.user.created",
	"dsync.user.deleted",
	"dsync.user.updated",
	"email_verification.created",
	"flag.created",
	"flag.deleted",
	"flag.rule_updated",
	"flag.updated",
	"group.created",
	"group.deleted",
	"group.member_added",
	"group.member_removed",
	"group.updated",
	"invitation.accepted",
	"invitation.created",
	"invitation.resent",
	"invitation.revoked",
	"magic_auth.created",
	"organization.created",
	"organization.deleted",
	"organization.updated",
	"organization_domain.created",
	"organization_domain.deleted",
	"organization_domain.updated",
	"organization_domain.verification_failed",
	"organization_domain.verified",
	"organization_membership.created",
	"organization_membership.deleted",
	"organization_membership.updated",
	"organization_role.created",
	"organization_role.deleted",
	"organization_role.updated",
	"password_reset.created",
	"password_reset.succeeded",
	"permission.created",
	"permission.deleted",
	"permission.updated",
	"pipes.connected_account.connected",
	"pipes.connected_account.connection_failed",
	"pipes.connected_account.disconnected",
	"pipes.connected_account.reauthorization_needed",
	"radar.challenge_created",
	"role.created",
	"role.deleted",
	"role.updated",
	"session.created",
	"session.revoked",
	"user.created",
	"user.deleted",
	"user.updated",
	"vault.byok_key.deleted",
	"vault.byok_key.verification_completed",
	"vault.data.created",
	"vault.data.deleted",
	"vault.data.read",
	"vault.data.updated",
	"vault.dek.decrypted",
	"vault.dek.read",
	"vault.kek.created",
	"vault.kek.deleted",
	"vault.metadata.read",
	"vault.names.listed",
	"waitlist_user.approved",
	"waitlist_user.created",
	"waitlist_user.denied",
)

// webhookEventTypes are the types a webhook endpoint may subscribe to:
// every type of GET /events but these, which CreateWebhookEndpointDto's
// enum leaves out.
var webhookEventTypes = without(eventTypes,
	"action.authentication.denied",
	"action.user_registration.denied",
	"authentication.email_verification_failed",
	"authentication.mfa_failed",
	"dsync.token.created",
	"dsync.token.revoked",
	"vault.byok_key.deleted",
	"vault.byok_key.verification_completed",
	"vault.data.created",
	"vault.data.deleted",
	"vault.data.read",
	"vault.data.updated",
	"vault.dek.decrypted",
	"vault.dek.read",
	"vault.kek.created",
	"vault.kek.deleted",
	"vault.metadata.read",
	"vault.names.listed",
)

func setOf(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

// without returns a copy of set without the given members; each must be
// in set (a typo would otherwise leave a type in silently).
func without(set map[string]bool, drop ...string) map[string]bool {
	m := make(map[string]bool, len(set))
	for k := range set {
		m[k] = true
	}
	for _, v := range drop {
		if !m[v] {
			panic("authztest: without: " + v + " is not in the set")
		}
		delete(m, v)
	}
	return m
}
