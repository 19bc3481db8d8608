// The provider endpoints as pure functions of (scenario, account, query,
// now). Authentication, rate limits and injected faults are the server's
// job; these run once a request is let through.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "tests/fakes/fake_http.h"
#include "tests/fakes/fake_scenario.h"

namespace ele::fake::internal {

// JetEmail `GET /inbound/account/logs`.
Reply JetEmailLogs(const Scenario& scenario, std::size_t account, const Query& query,
                   std::int64_t now);
Reply JetEmailError(int status, std::string_view message);

// Mailtrap `GET /api/accounts/{id}/email_logs`.
Reply MailtrapList(const Scenario& scenario, std::size_t account, const Query& query,
                   std::int64_t now);
// Mailtrap `GET /api/accounts/{id}/email_logs/{message_id}`; `host` is the
// request's Host header, for the raw message link.
Reply MailtrapDetail(const Scenario& scenario, std::size_t account, std::string_view message_id,
                     std::int64_t now, std::string_view host);
// Mailtrap `GET /api/accounts/{id}/sending_domains`.
Reply MailtrapSendingDomains(const Scenario& scenario, std::size_t account);
// `{"error": message}` or, with `plural`, `{"errors": message}` as Mailtrap writes them.
Reply MailtrapError(int status, std::string_view message, bool plural = false);

// The series the exporter must show once every scripted change happened.
std::map<std::string, double> ComputeGroundTruth(const Scenario& scenario,
                                                 const TruthOptions& options);

}  // namespace ele::fake::internal
