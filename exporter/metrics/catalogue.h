// Every metric the exporter serves: name, help, type, labels, buckets
// (README, "Metrics"). The one place that defines metric names; the rest
// of the code refers to these descriptors, and states reach them only
// through the snapshot step (snapshot/). Order here is the order on
// /metrics.
#pragma once

#include <string_view>
#include <vector>

namespace ele::metrics {

enum class Kind { kCounter, kGauge, kHistogram };

struct Desc {
  int id;                               // dense index, 0..All().size()-1
  std::string_view name;
  std::string_view help;
  Kind kind;
  std::vector<std::string_view> labels;
  std::vector<double> buckets;          // histograms only, ascending, +Inf implied
};

const std::vector<const Desc*>& All();

// JetEmail (inbound)
extern const Desc kJetMessagesTotal, kJetMessages, kJetDeliveriesTotal, kJetRejectionsTotal,
    kJetActionsTotal, kJetSpamScore, kJetDeliveryDelay, kJetDomainUp, kJetAccountDomains;
// Mailtrap (outbound)
extern const Desc kMtMessagesTotal, kMtMessages, kMtOpensTotal, kMtClicksTotal, kMtOpenedMessagesTotal,
    kMtClickedMessagesTotal, kMtEventsTotal, kMtBouncesTotal, kMtDeliveryDelay, kMtMailboxProviderEventsTotal,
    kMtSendingDomainDnsVerified, kMtSendingDomainInfo, kMtSendingDomainOpenTracking, kMtSendingDomainClickTracking;
// The exporter itself
extern const Desc kUp, kCollectionDuration, kLastSuccess, kLag, kApiRequestsTotal, kApiRequestDuration,
    kParseErrorsTotal, kTrackedMessages, kLabelOverflowTotal, kConfigReloadSuccessful,
    kConfigLastReloadSuccessTimestamp, kBuildInfo, kStateFileErrorsTotal, kStateFileLastSave, kPartLag, kLimitEvictionsTotal,
    kHttpRefusedTotal;

}  // namespace ele::metrics
