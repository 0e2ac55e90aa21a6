#include "core/runlog/tfeventswriter.h"

#include <QDateTime>
#include <QFile>
#include <QSysInfo>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>

#include <array>
#include <cstring>
#include <mutex>

namespace yolodeck {

namespace {

namespace pb = google::protobuf;

const std::array<uint32_t, 256> &crcTable()
{
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1; // Castagnoli, reflected
            t[i] = c;
        }
        return t;
    }();
    return table;
}

void addField(pb::DescriptorProto *message, const char *name, int number,
              pb::FieldDescriptorProto::Type type, const char *typeName = nullptr,
              pb::FieldDescriptorProto::Label label = pb::FieldDescriptorProto::LABEL_OPTIONAL,
              int oneof = -1)
{
    pb::FieldDescriptorProto *f = message->add_field();
    f->set_name(name);
    f->set_number(number);
    f->set_type(type);
    f->set_label(label);
    if (typeName)
        f->set_type_name(typeName);
    if (oneof >= 0)
        f->set_oneof_index(oneof);
}

// tensorboard's Event, Summary (with Summary.Value) and SessionLog, only the fields written here.
struct Schema
{
    pb::DescriptorPool pool;
    pb::DynamicMessageFactory factory{&pool};
    const pb::Descriptor *event = nullptr;

    Schema()
    {
        using F = pb::FieldDescriptorProto;
        pb::FileDescriptorProto file;
        file.set_name("yolodeck_tensorboard_event.proto");
        file.set_package("tensorboard");
        file.set_syntax("proto3");

        pb::DescriptorProto *summary = file.add_message_type();
        summary->set_name("Summary");
        pb::DescriptorProto *value = summary->add_nested_type();
        value->set_name("Value");
        addField(value, "tag", 1, F::TYPE_STRING);
        addField(value, "simple_value", 2, F::TYPE_FLOAT);
        addField(summary, "value", 1, F::TYPE_MESSAGE, ".tensorboard.Summary.Value",
                 F::LABEL_REPEATED);

        pb::DescriptorProto *session = file.add_message_type();
        session->set_name("SessionLog");
        pb::EnumDescriptorProto *status = session->add_enum_type();
        status->set_name("SessionStatus");
        const char *names[] = {"STATUS_UNSPECIFIED", "START", "STOP", "CHECKPOINT"};
        for (int i = 0; i < 4; ++i) {
            pb::EnumValueDescriptorProto *v = status->add_value();
            v->set_name(names[i]);
            v->set_number(i);
        }
        addField(session, "status", 1, F::TYPE_ENUM, ".tensorboard.SessionLog.SessionStatus");

        pb::DescriptorProto *event = file.add_message_type();
        event->set_name("Event");
        event->add_oneof_decl()->set_name("what");
        addField(event, "wall_time", 1, F::TYPE_DOUBLE);
        addField(event, "step", 2, F::TYPE_INT64);
        addField(event, "file_version", 3, F::TYPE_STRING, nullptr, F::LABEL_OPTIONAL, 0);
        addField(event, "summary", 5, F::TYPE_MESSAGE, ".tensorboard.Summary", F::LABEL_OPTIONAL,
                 0);
        addField(event, "session_log", 6, F::TYPE_MESSAGE, ".tensorboard.SessionLog",
                 F::LABEL_OPTIONAL, 0);
        const pb::FileDescriptor *built = pool.BuildFile(file);
        this->event = built ? built->FindMessageTypeByName("Event") : nullptr;
    }

    static Schema &instance()
    {
        static Schema schema;
        return schema;
    }
};

double now()
{
    return QDateTime::currentMSecsSinceEpoch() / 1000.0;
}

} // namespace

uint32_t crc32c(const char *data, size_t size)
{
    const std::array<uint32_t, 256> &t = crcTable();
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < size; ++i)
        c = t[(c ^ uint8_t(data[i])) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

uint32_t maskedCrc32c(const char *data, size_t size)
{
    const uint32_t c = crc32c(data, size);
    return ((c >> 15) | (c << 17)) + 0xA282EAD8u;
}

class TfEventsWriter::Impl
{
public:
    QFile file;
    std::mutex mutex;
};

TfEventsWriter::TfEventsWriter()
    : d(std::make_unique<Impl>())
{}

TfEventsWriter::~TfEventsWriter()
{
    if (d->file.isOpen())
        d->file.flush();
}

Result<std::unique_ptr<TfEventsWriter>> TfEventsWriter::create(const QString &dir)
{
    using R = Result<std::unique_ptr<TfEventsWriter>>;
    Schema &schema = Schema::instance();
    if (!schema.event)
        return R::fail(QStringLiteral("TensorBoard event schema could not be built"));
    std::unique_ptr<TfEventsWriter> w(new TfEventsWriter);
    const QString name = QStringLiteral("events.out.tfevents.%1.%2")
                             .arg(QDateTime::currentSecsSinceEpoch())
                             .arg(QSysInfo::machineHostName());
    w->d->file.setFileName(dir + QLatin1Char('/') + name);
    if (!w->d->file.open(QIODevice::WriteOnly | QIODevice::Append))
        return R::fail(QStringLiteral("%1: cannot write the TensorBoard file: %2")
                           .arg(w->d->file.fileName(), w->d->file.errorString()));
    std::unique_ptr<pb::Message> event(schema.factory.GetPrototype(schema.event)->New());
    const pb::Reflection *r = event->GetReflection();
    r->SetDouble(event.get(), schema.event->FindFieldByName("wall_time"), now());
    r->SetString(event.get(), schema.event->FindFieldByName("file_version"), "brain.Event:2");
    const Status written = w->writeEvent(event->SerializeAsString());
    if (!written)
        return R::fail(written.error());
    return R::ok(std::move(w));
}

QString TfEventsWriter::path() const
{
    return d->file.fileName();
}

Status TfEventsWriter::purgeFrom(int64_t step)
{
    Schema &schema = Schema::instance();
    std::unique_ptr<pb::Message> event(schema.factory.GetPrototype(schema.event)->New());
    const pb::Reflection *r = event->GetReflection();
    r->SetDouble(event.get(), schema.event->FindFieldByName("wall_time"), now());
    r->SetInt64(event.get(), schema.event->FindFieldByName("step"), step);
    pb::Message *session = r->MutableMessage(
        event.get(), schema.event->FindFieldByName("session_log"), &schema.factory);
    const pb::FieldDescriptor *status = session->GetDescriptor()->FindFieldByName("status");
    session->GetReflection()->SetEnumValue(session, status, 1); // START
    return writeEvent(event->SerializeAsString());
}

Status TfEventsWriter::scalar(const QString &tag, double value, int64_t step)
{
    Schema &schema = Schema::instance();
    std::unique_ptr<pb::Message> event(schema.factory.GetPrototype(schema.event)->New());
    const pb::Reflection *r = event->GetReflection();
    r->SetDouble(event.get(), schema.event->FindFieldByName("wall_time"), now());
    r->SetInt64(event.get(), schema.event->FindFieldByName("step"), step);
    pb::Message *summary =
        r->MutableMessage(event.get(), schema.event->FindFieldByName("summary"), &schema.factory);
    const pb::FieldDescriptor *values = summary->GetDescriptor()->FindFieldByName("value");
    pb::Message *v = summary->GetReflection()->AddMessage(summary, values, &schema.factory);
    const pb::Descriptor *vd = v->GetDescriptor();
    v->GetReflection()->SetString(v, vd->FindFieldByName("tag"), tag.toStdString());
    v->GetReflection()->SetFloat(v, vd->FindFieldByName("simple_value"), float(value));
    return writeEvent(event->SerializeAsString());
}

Status TfEventsWriter::flush()
{
    std::lock_guard<std::mutex> lock(d->mutex);
    if (!d->file.flush())
        return Status::fail(
            QStringLiteral("%1: %2").arg(d->file.fileName(), d->file.errorString()));
    return okStatus();
}

Status TfEventsWriter::writeEvent(const std::string &bytes)
{
    char header[12];
    const uint64_t length = bytes.size();
    for (int i = 0; i < 8; ++i)
        header[i] = char((length >> (8 * i)) & 0xFF); // little-endian
    const uint32_t lengthCrc = maskedCrc32c(header, 8);
    std::memcpy(header + 8, &lengthCrc, 4); // little-endian on every platform built here
    const uint32_t dataCrc = maskedCrc32c(bytes.data(), bytes.size());
    QByteArray record(header, 12);
    record.append(bytes.data(), qsizetype(bytes.size()));
    record.append(reinterpret_cast<const char *>(&dataCrc), 4);
    std::lock_guard<std::mutex> lock(d->mutex);
    if (d->file.write(record) != record.size())
        return Status::fail(
            QStringLiteral("%1: %2").arg(d->file.fileName(), d->file.errorString()));
    return okStatus();
}

} // namespace yolodeck
