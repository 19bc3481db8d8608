#include "exporter/server/landing_page.h"

#include <cstdio>

#include "version.h"

namespace ele {
namespace {

std::string Ago(std::optional<TimePoint> t, TimePoint now) {
  if (!t) return "never";
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(now - *t).count();
  if (s < 120) return std::to_string(s) + "s ago";
  if (s < 7200) return std::to_string(s / 60) + "m ago";
  return std::to_string(s / 3600) + "h ago";
}

std::string Seconds(std::optional<double> s) {
  if (!s) return "&ndash;";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0fs", *s);
  return buf;
}

std::string Row(const AccountStatus& a, TimePoint now) {
  const char* state = !a.first_cycle_done ? "starting" : a.up ? "up" : "down";
  const char* css = !a.first_cycle_done ? "wait" : a.up ? "up" : "down";
  return "<tr><td>" + HtmlEscape(a.provider) + "</td><td>" + HtmlEscape(a.account) + "</td><td class=\"" + css + "\">" + state +
         "</td><td>" + Ago(a.last_success, now) + "</td><td>" + Seconds(a.lag_seconds) + "</td><td>" +
         std::to_string(a.budget_used) + " / " + std::to_string(a.budget_limit) + " per min</td><td>" +
         std::to_string(a.tracked_messages) + "</td><td class=\"err\">" + HtmlEscape(a.last_error) + "</td></tr>\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderLandingPage(const std::vector<AccountStatus>& accounts, TimePoint now, const std::string& telemetry_path) {
  std::string rows;
  for (const auto& a : accounts) rows += Row(a, now);
  return std::string("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>email_logs_exporter</title>\n") +
         "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
         "th,td{padding:.35em .8em;border-bottom:1px solid #ddd;text-align:left}th{background:#f4f4f4}"
         ".up{color:#1a7f37;font-weight:bold}.down{color:#cf222e;font-weight:bold}.wait{color:#9a6700}.err{color:#cf222e;max-width:40em}</style>\n"
         "</head><body>\n<h1>email_logs_exporter</h1>\n<p>Version " + HtmlEscape(kVersion) + " (revision " + HtmlEscape(kRevision) +
         "). Metrics: <a href=\"" + HtmlEscape(telemetry_path) + "\">" + HtmlEscape(telemetry_path) +
         "</a>. Accounts are polled in the background; scrapes answer from memory.</p>\n"
         "<table>\n<tr><th>Provider</th><th>Account</th><th>State</th><th>Last success</th><th>Lag</th><th>Request budget</th>"
         "<th>Tracked messages</th><th>Last error</th></tr>\n" + rows + "</table>\n"
         "<p><a href=\"/-/healthy\">/-/healthy</a> &middot; <a href=\"/-/ready\">/-/ready</a></p>\n</body></html>\n";
}

}  // namespace ele
