// orgkit/orgkit.hpp: the umbrella header; include this one.
//
// orgkit keeps organizations, memberships, roles and an audit trail for a host application
// and decides who may do what. Start with orgkit/service.hpp (the operations), then
// orgkit/model.hpp (the values), orgkit/policy.hpp (roles and permissions) and
// orgkit/error.hpp (how failures come back). orgkit/storage.hpp is for those who bring their
// own storage; orgkit/sqlite.hpp opens the bundled one.
#pragma once

#include <orgkit/clock.hpp>
#include <orgkit/commit_token.hpp>
#include <orgkit/consistency.hpp>
#include <orgkit/error.hpp>
#include <orgkit/events.hpp>
#include <orgkit/export.hpp>
#include <orgkit/ids.hpp>
#include <orgkit/model.hpp>
#include <orgkit/notifier.hpp>
#include <orgkit/policy.hpp>
#include <orgkit/service.hpp>
#include <orgkit/sqlite.hpp>
#include <orgkit/storage.hpp>
#include <orgkit/storage_wrapper.hpp>
#include <orgkit/version.hpp>
