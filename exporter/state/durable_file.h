// Whole-file reads and crash-safe whole-file writes, for the state file's
// snapshot and journal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "exporter/base/error.h"

namespace ele {

// The whole file in one allocation of its size, without zero-filling it
// first; large files ask for transparent huge pages.
Result<std::string> ReadWholeFile(const std::string& path);
// Writes `pieces` in order to PATH.tmp, fsyncs it, renames it over `path`
// and fsyncs the directory: a crash leaves either the old or the new file.
Result<void> WriteFileDurably(const std::string& path, const std::vector<std::string_view>& pieces);
// write() until done; false on an error (errno set).
bool WriteAll(int fd, std::string_view data);

}  // namespace ele
