// A planted mistake for the guard's self-test (tests/docs_guard): never built.
bool may_invite(const orgkit::Service& kit, const orgkit::Actor& a, orgkit::OrgId org) {
  return kit.check(a, org, "members:invite").value_or(false);
}
