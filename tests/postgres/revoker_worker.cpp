// orgkit_pg_revoker: the other application server of the PostgreSQL freshness test
// (postgres_freshness_test.cpp, issue 10: C1, C2 across processes).
//
// Usage: orgkit_pg_revoker <schema> <org_id> <user_id>
// It opens its own Service on the schema of the test server ($ORGKIT_PG_INFO, else the info
// file the build names) and reads one byte at a time on stdin: 'g' makes <user_id> an admin,
// 'r' a viewer (who may not invite). After each commit has returned it writes the commit's
// token as one line ("ct1.N") on stdout. It ends at the end of its input; an error ends it
// with status 1.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include <orgkit/orgkit.hpp>
#include <orgkit/postgres.hpp>

namespace {

std::string conninfo() {
  const char* path = std::getenv("ORGKIT_PG_INFO");
  std::ifstream in(path != nullptr ? path : ORGKIT_PG_INFO_DEFAULT);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("conninfo=", 0) == 0) return line.substr(9);
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: orgkit_pg_revoker <schema> <org_id> <user_id>\n";
    return 2;
  }
  orgkit::PostgresOptions po;
  po.connection = conninfo();
  po.schema = argv[1];
  auto store = orgkit::open_postgres(po);
  if (!store) {
    std::cerr << "open: " << store.error() << '\n';
    return 1;
  }
  auto kit = orgkit::Service::create(std::move(*store));
  if (!kit) {
    std::cerr << "service: " << kit.error() << '\n';
    return 1;
  }
  const orgkit::OrgId org(std::atoll(argv[2]));
  const orgkit::UserId target(argv[3]);
  const orgkit::Actor owner{orgkit::UserId("owner"), "owner@example.com", "Owner"};
  char c = 0;
  while (::read(STDIN_FILENO, &c, 1) == 1) {
    auto changed = (*kit)->change_member_role(owner, org, target, c == 'g' ? "admin" : "viewer");
    if (!changed) {
      std::cerr << "change_member_role: " << changed.error() << '\n';
      return 1;
    }
    std::printf("%s\n", changed->commit_token.to_string().c_str());
    std::fflush(stdout);
  }
  return 0;
}
