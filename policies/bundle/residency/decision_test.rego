package residency_test

import data.residency

us_subject := {
	"subject": "s1.us-east-1.0123456789abcdefghjkmnpqrs",
	"homeRegion": "us-east-1",
	"jurisdiction": "US",
}

profile_fields := ["displayName", "username", "email", "phone", "birthDate", "country", "createdAt"]

message_fields := ["conversationId", "senderId", "recipientId", "body", "sentAt"]

caller(service, region, jurisdiction, roles) := {
	"service": service,
	"region": region,
	"jurisdiction": jurisdiction,
	"roles": roles,
}

us_feed := caller("svc:feed", "us-east-1", "US", ["service"])

eu_feed := caller("svc:feed", "eu-central-1", "EU", ["service"])

us_moderator := caller("svc:moderation", "us-west-2", "US", ["moderator"])

eu_moderator := caller("svc:moderation", "eu-central-1", "EU", ["moderator"])

read(who, purpose, collection, fields) := {
	"caller": who,
	"action": "read",
	"purpose": purpose,
	"case": null,
	"resource": object.union(us_subject, {"collection": collection, "fields": fields}),
	"now": "2026-11-26T12:00:00Z",
}

with_case(request, kase) := object.union(request, {"case": kase})

user_report(status) := {
	"id": "c1.us-east-1.0123456789abcdefghjkmnpqrs",
	"kind": "user-report",
	"status": status,
	"names_subject": true,
	"jurisdiction": "US",
	"opened_by": "svc:trust-safety",
}

legal_request(status) := object.union(user_report(status), {
	"kind": "legal-request",
	"opened_by": "svc:legal-intake",
	"requester": "svc:legal",
	"requester_jurisdiction": "EU",
	"expires_at": "2026-12-26T12:00:00.000Z",
})

decide(request) := d if {
	d := residency.decision with input as request
}

# Rule 2: same jurisdiction, service-delivery: every field.
test_same_jurisdiction_service_delivery_reads_all_fields if {
	d := decide(read(us_feed, "service-delivery", "profile", profile_fields))
	d.allow
	d.reasons == ["read_full"]
	every f in profile_fields {
		d.fields[f] == "allow"
	}
	not d.break_glass
}

# Rule 3: another jurisdiction gets excepted fields only.
test_cross_border_profile_read_gets_excepted_fields_only if {
	d := decide(read(eu_feed, "service-delivery", "profile", profile_fields))
	d.allow
	d.fields == {
		"displayName": "allow", "username": "allow", "country": "allow", "createdAt": "allow",
		"email": "redact", "phone": "redact", "birthDate": "redact",
	}
}

test_cross_border_request_for_content_only_is_denied if {
	d := decide(read(eu_feed, "service-delivery", "direct_message", ["body"]))
	not d.allow
	d.reasons == ["cross_border_content_only"]
	d.fields == {}
}

test_cross_border_message_read_redacts_content if {
	d := decide(read(eu_feed, "service-delivery", "direct_message", message_fields))
	d.allow
	d.fields.body == "redact"
	d.fields.senderId == "redact"
	d.fields.sentAt == "allow"
}

# Rule 4: recommendation pseudonymizes identifiers and never sees pii, sensitive or content.
test_recommendation_pseudonymizes_identifiers if {
	d := decide(read(eu_feed, "recommendation", "direct_message", message_fields))
	d.allow
	d.fields == {
		"conversationId": "pseudonymize", "senderId": "pseudonymize", "recipientId": "pseudonymize",
		"body": "redact", "sentAt": "allow",
	}
}

test_recommendation_never_sees_pii_even_in_jurisdiction if {
	d := decide(read(us_feed, "recommendation", "profile", profile_fields))
	d.allow
	d.fields.email == "redact"
	d.fields.birthDate == "redact"
	d.fields.username == "allow"
}

test_named_service_is_narrowed_to_its_purposes if {
	recs := caller("svc:recommendations", "us-east-1", "US", ["service"])
	denied := decide(read(recs, "service-delivery", "profile", profile_fields))
	not denied.allow
	denied.reasons == ["purpose_not_granted"]
	decide(read(recs, "recommendation", "profile", profile_fields)).allow
}

# Rule 5: moderation needs an open case naming the subject, the moderator role, and the
# subject's jurisdiction.
test_moderation_with_open_case_in_jurisdiction_sees_content if {
	d := decide(with_case(read(us_moderator, "moderation", "direct_message", message_fields), user_report("open")))
	d.allow
	d.reasons == ["moderation_case"]
	d.fields.body == "allow"
}

test_moderation_outside_jurisdiction_is_denied if {
	d := decide(with_case(read(eu_moderator, "moderation", "direct_message", message_fields), user_report("open")))
	not d.allow
	d.reasons == ["outside_jurisdiction"]
}

test_moderation_without_case_is_denied if {
	d := decide(read(us_moderator, "moderation", "direct_message", message_fields))
	not d.allow
	d.reasons == ["case_required"]
}

test_moderation_with_closed_case_is_denied if {
	d := decide(with_case(read(us_moderator, "moderation", "direct_message", message_fields), user_report("closed")))
	not d.allow
	d.reasons == ["case_not_open"]
}

test_moderation_with_case_about_someone_else_is_denied if {
	other := object.union(user_report("open"), {"names_subject": false})
	d := decide(with_case(read(us_moderator, "moderation", "direct_message", message_fields), other))
	not d.allow
	d.reasons == ["case_not_open"]
}

test_moderation_purpose_needs_the_moderator_role if {
	d := decide(with_case(read(us_feed, "moderation", "direct_message", message_fields), user_report("open")))
	not d.allow
	"purpose_not_granted" in d.reasons
}

# Rule 6: legal process with an approved legal case: everything, marked break-glass.
test_legal_process_with_approved_case_is_break_glass if {
	legal := caller("svc:legal", "eu-central-1", "EU", ["legal"])
	d := decide(with_case(read(legal, "legal-process", "profile", profile_fields), legal_request("approved")))
	d.allow
	d.break_glass
	d.reasons == ["legal_process_break_glass"]
	d.fields.birthDate == "allow"
}

test_legal_process_with_unapproved_case_is_denied if {
	legal := caller("svc:legal", "us-east-1", "US", ["legal"])
	d := decide(with_case(read(legal, "legal-process", "profile", profile_fields), legal_request("open")))
	not d.allow
	d.reasons == ["case_not_approved"]
	not d.break_glass
}

test_legal_process_without_case_is_denied if {
	legal := caller("svc:legal", "us-east-1", "US", ["legal"])
	d := decide(read(legal, "legal-process", "profile", profile_fields))
	d.reasons == ["case_required"]
}

# Rule 7: auditors never read records.
test_auditor_reading_a_record_is_denied if {
	auditor := caller("svc:audit", "us-east-1", "US", ["auditor"])
	d := decide(read(auditor, "service-delivery", "profile", profile_fields))
	not d.allow
	"auditor_reads_audit_log_only" in d.reasons
}

test_witness_cosignatures_are_posted_by_auditors if {
	auditor := caller("svc:witness", "eu-central-1", "EU", ["auditor"])
	decide({"caller": auditor, "action": "audit.cosign", "purpose": null, "case": null, "resource": us_subject}).allow
	d := decide({"caller": us_feed, "action": "audit.cosign", "purpose": null, "case": null, "resource": us_subject})
	not d.allow
	"auditor_role_required" in d.reasons
}

test_auditor_reads_the_audit_log if {
	auditor := caller("svc:audit", "us-east-1", "US", ["auditor"])
	decide({"caller": auditor, "action": "audit.read", "purpose": null, "case": null, "resource": us_subject}).allow
	not decide({"caller": us_feed, "action": "audit.read", "purpose": null, "case": null, "resource": us_subject}).allow
}

test_auditors_read_a_jurisdictions_log_from_that_jurisdiction if {
	eu_auditor := caller("svc:audit", "eu-central-1", "EU", ["auditor"])
	d := decide({"caller": eu_auditor, "action": "audit.read", "purpose": null, "case": null, "resource": us_subject})
	d.reasons == ["audit_outside_jurisdiction"]
}

test_any_caller_with_a_known_role_may_read_which_bundle_is_in_force if {
	decide({"caller": us_feed, "action": "policy.read", "purpose": null, "case": null, "resource": {"jurisdiction": "US"}}).allow
	not decide({"caller": caller("svc:x", "us-east-1", "US", []), "action": "policy.read", "purpose": null, "case": null, "resource": {"jurisdiction": "US"}}).allow
}

# Rule 1: unknown purpose, role, collection or action, or an ungranted purpose.
test_unknown_purpose_is_denied if {
	d := decide(read(us_feed, "curiosity", "profile", profile_fields))
	not d.allow
	d.reasons == ["unknown_purpose"]
}

test_unknown_role_is_denied if {
	d := decide(read(caller("svc:x", "us-east-1", "US", ["service", "root"]), "service-delivery", "profile", ["email"]))
	not d.allow
	d.reasons == ["unknown_role"]
}

test_purpose_not_granted_by_any_role_is_denied if {
	d := decide(read(us_feed, "legal-process", "profile", profile_fields))
	not d.allow
	"purpose_not_granted" in d.reasons
}

test_unknown_collection_and_field_are_denied if {
	decide(read(us_feed, "service-delivery", "wallet", ["balance"])).reasons == ["unknown_collection"]
	decide(read(us_feed, "service-delivery", "profile", ["ssn"])).reasons == ["unknown_field"]
}

test_unknown_action_is_denied if {
	d := decide(object.union(read(us_feed, "service-delivery", "profile", []), {"action": "export-everything"}))
	not d.allow
	d.reasons == ["unknown_action"]
}

test_missing_purpose_on_a_read_is_denied if {
	d := decide(read(us_feed, null, "profile", profile_fields))
	d.reasons == ["purpose_required"]
}

# Writes into a jurisdiction are allowed; removals need a reason.
write(who, purpose, action) := object.union(read(who, purpose, "profile", []), {"action": action})

test_writes_into_another_jurisdiction_are_allowed if {
	d := decide(write(eu_feed, "service-delivery", "write"))
	d.allow
	d.fields == {}
}

test_recommendation_cannot_write if {
	decide(write(us_feed, "recommendation", "write")).reasons == ["write_purpose"]
}

test_auditor_cannot_write if {
	not decide(write(caller("svc:audit", "us-east-1", "US", ["auditor"]), "service-delivery", "write")).allow
}

test_erasure_needs_a_privacy_officer_or_an_approved_legal_request if {
	privacy := caller("svc:privacy", "eu-central-1", "EU", ["privacy"])
	decide(write(privacy, "dsar", "subject.erase")).allow
	decide(write(us_feed, "service-delivery", "subject.erase")).reasons == ["erasure_not_permitted"]
	decide(write(eu_feed, "service-delivery", "subject.erase")).reasons == ["erasure_not_permitted"]
	decide(write(us_feed, null, "subject.erase")).reasons == ["erasure_not_permitted", "purpose_required"]
	legal := caller("svc:legal", "eu-central-1", "EU", ["legal"])
	decide(with_case(write(legal, "legal-process", "subject.erase"), legal_request("approved"))).allow
	not decide(with_case(write(legal, "legal-process", "subject.erase"), legal_request("open"))).allow
}

test_records_are_still_deleted_by_their_jurisdiction if {
	decide(write(us_feed, "service-delivery", "delete")).allow
	decide(write(eu_feed, "service-delivery", "delete")).reasons == ["delete_not_permitted"]
}

# Cases.
case_request(who, action, kase) := {
	"caller": who,
	"action": action,
	"purpose": null,
	"case": kase,
	"resource": us_subject,
}

test_user_reports_are_opened_by_trust_and_safety if {
	tns := caller("svc:trust-safety", "us-east-1", "US", ["trust-and-safety"])
	decide(case_request(tns, "case.open", user_report("open"))).allow
	decide(case_request(us_feed, "case.open", user_report("open"))).reasons == ["role_required"]
}

test_legal_requests_need_two_people if {
	intake := caller("svc:legal-intake", "us-east-1", "US", ["legal"])
	counsel := caller("svc:legal-counsel", "us-east-1", "US", ["legal"])
	decide(case_request(intake, "case.open", legal_request("open"))).allow
	decide(case_request(intake, "case.approve", legal_request("open"))).reasons == ["two_person_rule"]
	decide(case_request(counsel, "case.approve", legal_request("open"))).allow
	decide(case_request(counsel, "case.approve", legal_request("approved"))).reasons == ["not_approvable"]
	decide(case_request(us_moderator, "case.approve", legal_request("open"))).reasons == ["role_required"]
}

test_an_approved_legal_request_is_used_only_by_its_requester_from_its_jurisdiction_until_it_expires if {
	request := with_case(read(caller("svc:legal", "eu-central-1", "EU", ["legal"]), "legal-process", "direct_message", message_fields), legal_request("approved"))
	decide(request).allow
	third := with_case(read(caller("svc:legal-other", "eu-central-1", "EU", ["legal"]), "legal-process", "direct_message", message_fields), legal_request("approved"))
	decide(third).reasons == ["not_the_requester"]
	elsewhere := with_case(read(caller("svc:legal", "ap-southeast-1", "SG", ["legal"]), "legal-process", "direct_message", message_fields), legal_request("approved"))
	decide(elsewhere).reasons == ["outside_requester_jurisdiction"]
	decide(object.union(request, {"now": "2026-12-26T12:00:00.000Z"})).reasons == ["case_expired"]
}

test_legal_requests_are_approved_in_the_subjects_jurisdiction_by_someone_else if {
	counsel_eu := caller("svc:legal-counsel", "eu-central-1", "EU", ["legal"])
	decide(case_request(counsel_eu, "case.approve", legal_request("open"))).reasons == ["case_outside_jurisdiction"]
	requester := caller("svc:legal", "us-east-1", "US", ["legal"])
	decide(case_request(requester, "case.approve", legal_request("open"))).reasons == ["two_person_rule"]
}

test_legal_cases_are_not_read_or_closed_by_moderators_or_other_jurisdictions if {
	decide(case_request(eu_moderator, "case.read", legal_request("approved"))).reasons == ["role_required"]
	us_only := object.union(legal_request("approved"), {"requester_jurisdiction": "US"})
	eu_legal := caller("svc:legal-eu", "eu-central-1", "EU", ["legal"])
	decide(case_request(eu_legal, "case.read", us_only)).reasons == ["case_outside_jurisdiction"]
	decide(case_request(eu_legal, "case.close", us_only)).reasons == ["case_outside_jurisdiction"]
	decide(case_request(us_moderator, "case.close", legal_request("approved"))).reasons == ["role_required"]
	decide(case_request(caller("svc:legal", "eu-central-1", "EU", ["legal"]), "case.read", legal_request("approved"))).allow
	decide(case_request(caller("svc:legal", "ap-southeast-1", "SG", ["legal"]), "case.read", legal_request("approved"))).reasons == ["case_outside_jurisdiction"]
	decide(case_request(eu_moderator, "case.read", user_report("open"))).reasons == ["case_outside_jurisdiction"]
}

test_cases_are_read_by_case_roles_only if {
	decide(case_request(us_moderator, "case.read", user_report("open"))).allow
	decide(case_request(us_feed, "case.read", user_report("open"))).reasons == ["role_required"]
}

# Queries: decided per region like reads, and a cross-border search matches excepted fields only.
query(who, purpose, collection, where, fields) := object.union(
	read(who, purpose, collection, fields),
	{"action": "query", "resource": object.union(us_subject, {"collection": collection, "fields": fields, "where": where})},
)

test_cross_border_query_on_a_protected_field_is_denied if {
	d := decide(query(eu_feed, "service-delivery", "direct_message", ["senderId"], message_fields))
	not d.allow
	d.reasons == ["cross_border_protected_search"]
}

test_cross_border_query_on_a_public_field_returns_excepted_fields if {
	d := decide(query(eu_feed, "service-delivery", "profile", ["username"], profile_fields))
	d.allow
	d.fields.username == "allow"
	d.fields.email == "redact"
}

test_recommendation_cannot_search_on_fields_it_cannot_see if {
	recs := caller("svc:recommendations", "us-east-1", "US", ["service"])
	decide(query(recs, "recommendation", "profile", ["email"], ["displayName"])).reasons == ["search_on_hidden_field"]
	decide(query(recs, "recommendation", "profile", ["phone"], ["displayName"])).reasons == ["search_on_hidden_field"]
	decide(query(recs, "recommendation", "direct_message", ["senderId"], ["sentAt"])).reasons == ["search_on_hidden_field"]
	decide(query(recs, "recommendation", "profile", ["username"], ["displayName"])).allow
}

test_query_in_the_jurisdiction_may_match_protected_fields if {
	d := decide(query(us_feed, "service-delivery", "direct_message", ["senderId"], message_fields))
	d.allow
	d.fields.body == "allow"
}

test_moderation_query_in_the_jurisdiction_may_match_identifiers if {
	request := with_case(query(us_moderator, "moderation", "direct_message", ["senderId"], message_fields), user_report("open"))
	d := decide(request)
	d.allow
	d.fields.body == "allow"
}

test_explain_names_the_rules_that_denied if {
	explained := residency.explain with input as read(eu_feed, "service-delivery", "direct_message", ["body"])
	explained.decision.allow == false
	explained.deny_rules == ["cross_border_content_only"]
	explained.grant_rule == null
	explained.read_mode == "excepted"
	explained.fields.body == {"class": "content", "action": "redact"}
}

test_explain_names_the_grant if {
	explained := residency.explain with input as read(us_feed, "service-delivery", "profile", ["email"])
	explained.decision.allow == true
	explained.deny_rules == []
	explained.grant_rule == "read_full"
	explained.fields.email == {"class": "pii", "action": "allow"}
}

# --- cells: a request forwarded by another cell (input.via) ---------------------------------

via(request, region, jurisdiction) := object.union(request, {"via": {"region": region, "jurisdiction": jurisdiction}})

test_home_service_through_foreign_cell_reads_excepted_only if {
	d := decide(via(read(us_feed, "service-delivery", "profile", profile_fields), "eu-central-1", "EU"))
	d.allow
	d.reasons == ["read_excepted_via_other_jurisdiction"]
	d.fields.displayName == "allow"
	d.fields.email == "redact"
	d.fields.birthDate == "redact"
}

test_home_service_through_home_jurisdiction_cell_reads_all if {
	d := decide(via(read(us_feed, "service-delivery", "profile", profile_fields), "us-west-2", "US"))
	d.allow
	d.reasons == ["read_full"]
	d.fields.email == "allow"
}

test_foreign_service_through_its_cell_reads_excepted if {
	d := decide(via(read(eu_feed, "service-delivery", "profile", profile_fields), "eu-central-1", "EU"))
	d.allow
	d.reasons == ["read_excepted"]
	d.fields.email == "redact"
}

test_moderation_through_foreign_cell_denied if {
	request := with_case(read(us_moderator, "moderation", "direct_message", message_fields), user_report("open"))
	d := decide(via(request, "eu-central-1", "EU"))
	not d.allow
	"outside_jurisdiction" in d.reasons
}

test_audit_read_through_foreign_cell_denied if {
	request := {
		"caller": caller("svc:audit", "us-east-1", "US", ["auditor"]),
		"via": {"region": "eu-central-1", "jurisdiction": "EU"},
		"action": "audit.read",
		"purpose": null,
		"case": null,
		"resource": {"homeRegion": "us-east-1", "jurisdiction": "US"},
		"now": "2026-11-26T12:00:00Z",
	}
	d := decide(request)
	not d.allow
	d.reasons == ["audit_outside_jurisdiction"]
}

test_content_only_through_foreign_cell_denied if {
	d := decide(via(read(us_feed, "service-delivery", "direct_message", ["body"]), "eu-central-1", "EU"))
	not d.allow
	d.reasons == ["cross_border_content_only"]
}

test_legal_process_through_a_third_jurisdiction_cell_denied if {
	kase := object.union(legal_request("approved"), {"requester": "svc:legal", "requester_jurisdiction": "US"})
	request := with_case(read(caller("svc:legal", "us-east-1", "US", ["legal"]), "legal-process", "profile", profile_fields), kase)
	allowed := decide(request)
	allowed.allow
	allowed.break_glass
	d := decide(via(request, "eu-central-1", "EU"))
	not d.allow
	d.reasons == ["legal_process_through_foreign_cell"]
	home := decide(via(request, "us-west-2", "US"))
	home.allow
}

test_legal_process_through_the_requester_jurisdiction_cell_allowed if {
	request := with_case(read(caller("svc:legal", "eu-central-1", "EU", ["legal"]), "legal-process", "profile", profile_fields), legal_request("approved"))
	d := decide(via(request, "eu-central-1", "EU"))
	d.allow
	d.fields.email == "allow"
}

test_case_read_through_foreign_cell_denied if {
	request := {
		"caller": caller("svc:trust-safety", "us-east-1", "US", ["trust-and-safety"]),
		"action": "case.read",
		"purpose": null,
		"case": user_report("open"),
		"resource": us_subject,
		"now": "2026-11-26T12:00:00Z",
	}
	decide(request).allow
	d := decide(via(request, "eu-central-1", "EU"))
	not d.allow
	d.reasons == ["case_outside_jurisdiction"]
}

test_auditors_review_break_glass_decisions_of_their_jurisdiction if {
	us_auditor := caller("user:auditor-us", "us-east-1", "US", ["auditor"])
	eu_auditor := caller("user:auditor-eu", "eu-central-1", "EU", ["auditor"])
	decide({"caller": us_auditor, "action": "audit.review", "purpose": null, "case": null, "resource": us_subject}).allow
	decide({"caller": eu_auditor, "action": "audit.review", "purpose": null, "case": null, "resource": us_subject}).reasons == ["audit_outside_jurisdiction"]
	decide({"caller": us_feed, "action": "audit.review", "purpose": null, "case": null, "resource": us_subject}).reasons == ["auditor_role_required"]
}

test_legal_reviewers_list_the_legal_requests_of_their_jurisdiction if {
	us_legal := caller("user:legal-a", "us-east-1", "US", ["legal"])
	eu_legal := caller("user:legal-eu", "eu-central-1", "EU", ["legal"])
	us_auditor := caller("user:auditor-us", "us-east-1", "US", ["auditor"])
	decide({"caller": us_legal, "action": "case.list", "purpose": null, "case": null, "resource": {"jurisdiction": "US"}}).allow
	decide({"caller": eu_legal, "action": "case.list", "purpose": null, "case": null, "resource": {"jurisdiction": "US"}}).reasons == ["case_outside_jurisdiction"]
	decide({"caller": us_auditor, "action": "case.list", "purpose": null, "case": null, "resource": {"jurisdiction": "US"}}).reasons == ["role_required"]
}
