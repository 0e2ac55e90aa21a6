#pragma once

#include "core/common/result.h"

#include <QString>

#include <cstdint>
#include <memory>

namespace yolodeck {

// CRC-32C (Castagnoli), as TFRecord framing uses it; crc32c("123456789") = 0xE3069283.
uint32_t crc32c(const char *data, size_t size);
// TFRecord's masked CRC: ((c >> 15) | (c << 17)) + 0xA282EAD8.
uint32_t maskedCrc32c(const char *data, size_t size);

// A TensorBoard event file, events.out.tfevents.<unix time>.<host> in a run folder, written live
// (issue: the resume checklist). Records are TFRecord frames (u64 length, masked CRC-32C of the
// length, the serialised Event, masked CRC-32C of the data); the Event, Summary and SessionLog
// messages are built with Debian's libprotobuf from a descriptor declared in code (the field
// numbers of tensorboard's event.proto and summary.proto), no generated sources.
//
// The first record is file_version "brain.Event:2". A session that resumes or branches calls
// purgeFrom(step): a SessionLog START at that step, after which TensorBoard drops the points of
// a previous session at that step and later instead of joining two curves.
class TfEventsWriter
{
public:
    ~TfEventsWriter();
    // Creates the file in `dir`; the error names it.
    static Result<std::unique_ptr<TfEventsWriter>> create(const QString &dir);

    QString path() const;
    Status purgeFrom(int64_t step);
    Status scalar(const QString &tag, double value, int64_t step);
    Status flush();

private:
    TfEventsWriter();
    Status writeEvent(const std::string &bytes);
    class Impl;
    std::unique_ptr<Impl> d;
};

} // namespace yolodeck
