#include "exporter/metrics/catalogue.h"

#include "exporter/base/buckets.h"

namespace ele::metrics {
namespace {

// Polling is decoupled from scraping; every help text of a provider metric
// says so, because a scrape interval shorter than collection.interval only
// repeats the same numbers.
#define ELE_POLLED " Updated by background polling every collection.interval, not per scrape."

template <size_t N>
std::vector<double> Bounds(const std::array<double, N>& bounds) {
  return {bounds.begin(), bounds.end()};
}
const std::vector<double> kSpamScoreBuckets = Bounds(buckets::kSpamScore);
const std::vector<double> kDelayBuckets = Bounds(buckets::kDelaySeconds);
const std::vector<double> kRequestBuckets = Bounds(buckets::kRequestSeconds);

}  // namespace

const Desc kJetMessagesTotal{0, "jetemail_inbound_messages_total", "Inbound messages observed in each status; a message counts once per status it is seen in." ELE_POLLED, Kind::kCounter, {"account", "domain", "status"}, {}};
const Desc kJetMessages{1, "jetemail_inbound_messages", "Inbound messages tracked inside the lookback window, by current status." ELE_POLLED, Kind::kGauge, {"account", "domain", "status"}, {}};
const Desc kJetDeliveriesTotal{2, "jetemail_inbound_deliveries_total", "Sum of increases of delivery_count of inbound messages." ELE_POLLED, Kind::kCounter, {"account", "domain"}, {}};
const Desc kJetRejectionsTotal{3, "jetemail_inbound_rejections_total", "Sum of increases of rejected_count of inbound messages (rejected attempts, often temporary)." ELE_POLLED, Kind::kCounter, {"account", "domain"}, {}};
const Desc kJetActionsTotal{4, "jetemail_inbound_actions_total", "Inbound log action rows by logtype, each counted once by its id." ELE_POLLED, Kind::kCounter, {"account", "domain", "logtype"}, {}};
const Desc kJetSpamScore{5, "jetemail_inbound_spam_score", "Highest spam_score among a message's actions, observed once per message when first seen with one." ELE_POLLED, Kind::kHistogram, {"account", "domain"}, kSpamScoreBuckets};
const Desc kJetDeliveryDelay{6, "jetemail_inbound_delivery_delay_seconds", "Delay of each delivery action, observed once per action." ELE_POLLED, Kind::kHistogram, {"account", "domain"}, kDelayBuckets};
const Desc kJetDomainUp{7, "jetemail_domain_up", "1 when the domain's last query reported success." ELE_POLLED, Kind::kGauge, {"account", "domain"}, {}};
const Desc kJetAccountDomains{8, "jetemail_account_domains", "Domains in the account, as total_domains reports it." ELE_POLLED, Kind::kGauge, {"account"}, {}};

const Desc kMtMessagesTotal{9, "mailtrap_messages_total", "Outbound messages observed in each status; a message counts once per status it is seen in." ELE_POLLED, Kind::kCounter, {"account", "domain", "stream", "category", "status"}, {}};
const Desc kMtMessages{10, "mailtrap_messages", "Outbound messages tracked inside the lookback window, by current status." ELE_POLLED, Kind::kGauge, {"account", "domain", "stream", "category", "status"}, {}};
const Desc kMtOpensTotal{11, "mailtrap_opens_total", "Sum of increases of opens_count." ELE_POLLED, Kind::kCounter, {"account", "domain", "stream", "category"}, {}};
const Desc kMtClicksTotal{12, "mailtrap_clicks_total", "Sum of increases of clicks_count." ELE_POLLED, Kind::kCounter, {"account", "domain", "stream", "category"}, {}};
const Desc kMtOpenedMessagesTotal{13, "mailtrap_opened_messages_total", "Messages whose opens_count became greater than zero." ELE_POLLED, Kind::kCounter, {"account", "domain", "stream", "category"}, {}};
const Desc kMtClickedMessagesTotal{14, "mailtrap_clicked_messages_total", "Messages whose clicks_count became greater than zero." ELE_POLLED, Kind::kCounter, {"account", "domain", "stream", "category"}, {}};
const Desc kMtEventsTotal{15, "mailtrap_events_total", "Events of the message detail endpoint, each counted once." ELE_POLLED, Kind::kCounter, {"account", "domain", "stream", "category", "event"}, {}};
const Desc kMtBouncesTotal{16, "mailtrap_bounces_total", "Bounce and soft_bounce events by bounce category." ELE_POLLED, Kind::kCounter, {"account", "domain", "stream", "bounce_category"}, {}};
const Desc kMtDeliveryDelay{17, "mailtrap_delivery_delay_seconds", "Time from sent_at to the message's delivery event." ELE_POLLED, Kind::kHistogram, {"account", "domain", "stream"}, kDelayBuckets};
const Desc kMtMailboxProviderEventsTotal{34, "mailtrap_mailbox_provider_events_total", "Events of the message detail endpoint (as mailtrap_events_total) by the mailbox provider that received the message: the email_service_provider of its last delivery, bounce or soft_bounce event, lowercased; unknown when none names one." ELE_POLLED, Kind::kCounter, {"account", "domain", "mailbox_provider", "event"}, {}};
const Desc kMtSendingDomainDnsVerified{35, "mailtrap_sending_domain_dns_verified", "1 when Mailtrap reports the sending domain's DNS records verified (dns_verified); read hourly." ELE_POLLED, Kind::kGauge, {"account", "domain"}, {}};
const Desc kMtSendingDomainInfo{36, "mailtrap_sending_domain_info", "Always 1; compliance_status is the sending domain's compliance state as Mailtrap reports it; read hourly." ELE_POLLED, Kind::kGauge, {"account", "domain", "compliance_status"}, {}};
const Desc kMtSendingDomainOpenTracking{37, "mailtrap_sending_domain_open_tracking_enabled", "1 when open tracking is on for the sending domain (without it opens stay at zero); read hourly." ELE_POLLED, Kind::kGauge, {"account", "domain"}, {}};
const Desc kMtSendingDomainClickTracking{38, "mailtrap_sending_domain_click_tracking_enabled", "1 when click tracking is on for the sending domain (without it clicks stay at zero); read hourly." ELE_POLLED, Kind::kGauge, {"account", "domain"}, {}};

const Desc kUp{18, "email_logs_exporter_up", "1 when the last collection cycle of the account succeeded.", Kind::kGauge, {"provider", "account"}, {}};
const Desc kCollectionDuration{19, "email_logs_exporter_collection_duration_seconds", "Wall time of the account's last collection cycle.", Kind::kGauge, {"provider", "account"}, {}};
const Desc kLastSuccess{20, "email_logs_exporter_last_success_timestamp_seconds", "End of the account's last successful collection cycle, Unix seconds.", Kind::kGauge, {"provider", "account"}, {}};
const Desc kLag{21, "email_logs_exporter_lag_seconds", "Now minus the watermark up to which the account's log is fully read.", Kind::kGauge, {"provider", "account"}, {}};
const Desc kApiRequestsTotal{22, "email_logs_exporter_api_requests_total", "API requests by HTTP status code; \"error\" for transport failures and timeouts.", Kind::kCounter, {"provider", "account", "code"}, {}};
const Desc kApiRequestDuration{23, "email_logs_exporter_api_request_duration_seconds", "API request latency.", Kind::kHistogram, {"provider", "account"}, kRequestBuckets};
const Desc kParseErrorsTotal{24, "email_logs_exporter_parse_errors_total", "API responses that were not the documented JSON; the page was rejected whole and read again.", Kind::kCounter, {"provider", "account"}, {}};
const Desc kTrackedMessages{25, "email_logs_exporter_tracked_messages", "Messages held in state for change tracking.", Kind::kGauge, {"provider", "account"}, {}};
const Desc kLabelOverflowTotal{26, "email_logs_exporter_label_overflow_total", "Label values folded into \"other\" because the label's distinct values reached the limit.", Kind::kCounter, {"provider", "account", "label"}, {}};
const Desc kConfigReloadSuccessful{27, "email_logs_exporter_config_last_reload_successful", "1 when the last configuration reload succeeded.", Kind::kGauge, {}, {}};
const Desc kConfigLastReloadSuccessTimestamp{28, "email_logs_exporter_config_last_reload_success_timestamp_seconds", "Time of the last successful configuration load, Unix seconds.", Kind::kGauge, {}, {}};
const Desc kBuildInfo{29, "email_logs_exporter_build_info", "Always 1; labels carry the version and revision.", Kind::kGauge, {"version", "revision"}, {}};

const Desc kStateFileErrorsTotal{30, "email_logs_exporter_state_file_errors_total", "State file failures: load (corrupt or foreign file, moved aside; started fresh), save (counters shown are the last saved ones) or compact (the journal was saved but not yet folded into a new snapshot; it keeps growing).", Kind::kCounter, {"operation"}, {}};
const Desc kStateFileLastSave{31, "email_logs_exporter_state_file_last_save_timestamp_seconds", "Time of the last successful state file save, Unix seconds.", Kind::kGauge, {}, {}};

const Desc kPartLag{32, "email_logs_exporter_part_lag_seconds", "Now minus the time up to which each part of the account's reads (new, enqueued, refresh, events, open) is current. JetEmail's open part counts queued/deferred messages current while each is re-read on time: every cycle until 4 intervals after arrival, then at most min(15m, max(2 intervals, age/10)) after its last read.", Kind::kGauge, {"provider", "account", "part"}, {}};

const Desc kLimitEvictionsTotal{33, "email_logs_exporter_limit_evicted_messages_total", "Messages dropped from state before the end of the lookback because collection.max_tracked_messages was reached; their later changes are not counted.", Kind::kCounter, {"provider", "account"}, {}};

const Desc kHttpRefusedTotal{39, "email_logs_exporter_http_refused_total", "Connections and requests the web server turned away: max_connections and max_connections_per_address (closed at accept), request_timeout (no complete request in time), max_requests (503 on the telemetry path).", Kind::kCounter, {"reason"}, {}};

#undef ELE_POLLED

const std::vector<const Desc*>& All() {
  static const std::vector<const Desc*> all = {
      &kJetMessagesTotal, &kJetMessages, &kJetDeliveriesTotal, &kJetRejectionsTotal, &kJetActionsTotal,
      &kJetSpamScore, &kJetDeliveryDelay, &kJetDomainUp, &kJetAccountDomains,
      &kMtMessagesTotal, &kMtMessages, &kMtOpensTotal, &kMtClicksTotal, &kMtOpenedMessagesTotal,
      &kMtClickedMessagesTotal, &kMtEventsTotal, &kMtBouncesTotal, &kMtDeliveryDelay,
      &kMtMailboxProviderEventsTotal, &kMtSendingDomainDnsVerified, &kMtSendingDomainInfo, &kMtSendingDomainOpenTracking,
      &kMtSendingDomainClickTracking,
      &kUp, &kCollectionDuration, &kLastSuccess, &kLag, &kApiRequestsTotal, &kApiRequestDuration,
      &kParseErrorsTotal, &kTrackedMessages, &kLabelOverflowTotal, &kConfigReloadSuccessful,
      &kConfigLastReloadSuccessTimestamp, &kBuildInfo, &kStateFileErrorsTotal, &kStateFileLastSave, &kPartLag, &kLimitEvictionsTotal,
      &kHttpRefusedTotal,
  };
  return all;
}

}  // namespace ele::metrics
