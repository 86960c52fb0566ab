// The only translation unit of ledger/ that includes gRPC: LedgerService's
// implementation and the server wiring.
#include "ledger/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ledger/entry.h"
#include "ledger/group_commit_writer.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/signed_note.h"
#include "ledger/status_macros.h"
#include "ledger/store.h"
#include "ledger/stored_proofs.h"
#include "ledger/v1/ledger.grpc.pb.h"

namespace ledger {

namespace {

using ledger::v1::Entry;

// absl and gRPC status codes share their numbering.
grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

class AppendStreamReactor;

// The AppendStream calls in progress, so that a shutdown can end them
// without waiting for their clients: a client that keeps its side open but
// sends nothing would otherwise hold the server's shutdown for its whole
// grace period.
class AppendStreams {
 public:
  // Registers `r`; false once shutting down (the call is then refused).
  bool Add(AppendStreamReactor* r);
  // Called from the reactor's OnDone: unregisters it and deletes it, at
  // once or, while Shutdown is stopping it, when Shutdown is done with it.
  void Done(AppendStreamReactor* r);
  // Asks every call in progress to stop reading and to end once the
  // requests already read are answered; later calls are refused.
  void Shutdown();

 private:
  std::mutex mu_;
  bool shutting_down_ = false;                // guarded by mu_
  std::set<AppendStreamReactor*> live_;       // guarded by mu_
  std::set<AppendStreamReactor*> held_;       // in use by Shutdown; guarded by mu_
  std::set<AppendStreamReactor*> done_held_;  // done while held; guarded by mu_
};

// One AppendStream call: each request read is checked and handed to the
// writer before the next is read, so the writer sees them in the order
// sent and answers them in that order; each answer is written once it and
// every answer before it are in. At most kWindow requests (and
// kWindowBytes of them) wait for their answers; past that the next read
// waits, and HTTP/2's flow control holds the client back.
//
// gRPC's reactions (OnReadDone, OnWriteDone, OnCancel), the writer's
// answers (on its committer thread) and Stop (on the thread shutting the
// server down) run on different threads: mu_ guards the state, and gRPC
// operations are started after it is released. The call is finished only
// when no write or answer is outstanding (and no read, unless stopping),
// so nothing refers to the reactor once OnDone has run.
class AppendStreamReactor final
    : public grpc::ServerBidiReactor<ledger::v1::AppendRequest,
                                     ledger::v1::AppendStreamResponse> {
 public:
  static constexpr size_t kWindow = 64;
  static constexpr size_t kWindowBytes = 4 << 20;

  AppendStreamReactor(grpc::CallbackServerContext* context, GroupCommitWriter* writer,
                      const CallAuthorizer* authorizer, AppendStreams* registry)
      : context_(context), writer_(writer), authorizer_(authorizer), registry_(registry) {
    // Set before Add makes the reactor visible to Stop on another thread.
    reading_ = true;
    read_starting_ = true;
    if (!registry_->Add(this)) {
      reading_ = false;
      read_starting_ = false;
      finished_ = true;
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
      return;
    }
    StartRead(&incoming_);
    std::unique_lock<std::mutex> lock(mu_);
    read_starting_ = false;
    Act(lock);
  }

  void OnReadDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    reading_ = false;
    if (!ok) {
      reads_done_ = true;  // the client closed its side, or the call ended
      Act(lock);
      return;
    }
    if (stopping_ || finished_) {
      // Read after Stop: not recorded, and the call's status says so.
      Act(lock);
      return;
    }
    auto item = std::make_unique<Item>();
    item->request.Swap(&incoming_);
    Item* const raw = item.get();
    raw->bytes = raw->request.ByteSizeLong();
    bytes_ += raw->bytes;
    ++unanswered_;
    items_.push_back(std::move(item));
    // No read is outstanding, so no other thread starts one before this
    // request is handed to the writer: the writer queues the requests in
    // the order they were sent.
    submitting_ = true;
    lock.unlock();
    // The actor is who the connection proved to be, as for Append.
    absl::StatusOr<std::string> actor = authorizer_->AuthorizeAppend(*context_, raw->request);
    if (!actor.ok()) {
      Answer(raw, actor.status());
    } else {
      writer_->AppendAsync(raw->request, *actor,
                           [this, raw](absl::StatusOr<ledger::v1::AppendResponse> r) {
                             Answer(raw, std::move(r));
                           });
    }
    lock.lock();
    submitting_ = false;
    Act(lock);
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    writing_ = false;
    if (ok) {
      bytes_ -= items_.front()->bytes;
      items_.pop_front();
    } else {
      broken_ = true;  // the call is over: nothing more can be written
    }
    Act(lock);
  }

  void OnCancel() override {
    std::unique_lock<std::mutex> lock(mu_);
    broken_ = true;
    Act(lock);
  }

  void OnDone() override { registry_->Done(this); }

  // Reads no more requests; ends the call with UNAVAILABLE once those read
  // are answered.
  void Stop() {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
    Act(lock);
  }

 private:
  struct Item {
    ledger::v1::AppendRequest request;
    size_t bytes = 0;
    bool answered = false;
    ledger::v1::AppendStreamResponse answer;
  };

  void Answer(Item* item, absl::StatusOr<ledger::v1::AppendResponse> r) {
    std::unique_lock<std::mutex> lock(mu_);
    item->answered = true;
    --unanswered_;
    if (r.ok()) {
      *item->answer.mutable_response() = std::move(*r);
    } else {
      const grpc::Status status = ToGrpcStatus(r.status());
      item->answer.set_code(static_cast<int32_t>(status.error_code()));
      item->answer.set_message(status.error_message());
    }
    Act(lock);
  }

  // Decides, under `lock`, what to start next; starts it once `lock` is
  // released.
  void Act(std::unique_lock<std::mutex>& lock) {
    if (finished_) return;
    if (broken_ && !writing_) {
      // Answers nobody can receive any more.
      while (!items_.empty() && items_.front()->answered) {
        bytes_ -= items_.front()->bytes;
        items_.pop_front();
      }
    }
    const ledger::v1::AppendStreamResponse* write = nullptr;
    if (!broken_ && !writing_ && !items_.empty() && items_.front()->answered) {
      writing_ = true;
      write = &items_.front()->answer;
    }
    bool read = false;
    if (!broken_ && !stopping_ && !reading_ && !submitting_ && !reads_done_ &&
        items_.size() < kWindow && bytes_ < kWindowBytes) {
      reading_ = true;
      read_starting_ = true;
      read = true;
    }
    // Stopping, a read may stay outstanding (Finish ends it), but not one
    // another thread is about to start.
    bool finish = false;
    if (!writing_ && !submitting_ && !read_starting_ && unanswered_ == 0 && items_.empty() &&
        (stopping_ || (!reading_ && (reads_done_ || broken_)))) {
      finished_ = true;
      finish = true;
    }
    grpc::Status status = grpc::Status::OK;
    if (finish && broken_) {
      status = grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled");
    } else if (finish && stopping_ && !reads_done_) {
      status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "server is shutting down; every request answered before this was "
                            "handled, and none after it was read");
    }
    lock.unlock();
    if (write != nullptr) StartWrite(write);
    if (read) {
      StartRead(&incoming_);
      lock.lock();
      read_starting_ = false;
      Act(lock);  // a Stop meanwhile may now finish the call
      return;
    }
    if (finish) Finish(status);
  }

  grpc::CallbackServerContext* const context_;
  GroupCommitWriter* const writer_;
  const CallAuthorizer* const authorizer_;
  AppendStreams* const registry_;
  ledger::v1::AppendRequest incoming_;  // the outstanding read's target

  std::mutex mu_;
  std::deque<std::unique_ptr<Item>> items_;  // in the order read; the front is answered next
  size_t bytes_ = 0;                         // of the requests in items_
  size_t unanswered_ = 0;                    // items the writer has not answered yet
  bool reading_ = false;                     // a read is outstanding
  bool read_starting_ = false;               // a thread is about to start it
  bool submitting_ = false;                  // a request is being handed to the writer
  bool reads_done_ = false;                  // no more requests will come
  bool writing_ = false;                     // a write (of the front's answer) is outstanding
  bool broken_ = false;                      // cancelled, or a write failed
  bool stopping_ = false;                    // the server is shutting down
  bool finished_ = false;
};

bool AppendStreams::Add(AppendStreamReactor* r) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return false;
  live_.insert(r);
  return true;
}

void AppendStreams::Done(AppendStreamReactor* r) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    live_.erase(r);
    if (held_.count(r) > 0) {
      done_held_.insert(r);
      return;
    }
  }
  delete r;
}

void AppendStreams::Shutdown() {
  std::vector<AppendStreamReactor*> stopping;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    stopping.assign(live_.begin(), live_.end());
    held_.insert(live_.begin(), live_.end());
  }
  // Outside mu_: stopping one may finish it, and gRPC may then call its
  // OnDone on this very thread.
  for (AppendStreamReactor* r : stopping) r->Stop();
  std::vector<AppendStreamReactor*> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (AppendStreamReactor* r : stopping) {
      held_.erase(r);
      if (done_held_.erase(r) > 0) finished.push_back(r);
    }
  }
  for (AppendStreamReactor* r : finished) delete r;
}

// Append and AppendStream are served with gRPC's callback API: a call
// waits for its group to be durable without holding a thread, and the
// writer's committer answers it. The other calls are synchronous.
class LedgerServiceImpl final
    : public ledger::v1::LedgerService::WithCallbackMethod_AppendStream<
          ledger::v1::LedgerService::WithCallbackMethod_Append<
              ledger::v1::LedgerService::Service>> {
 public:
  LedgerServiceImpl(const LedgerStore* store, GroupCommitWriter* writer,
                    std::string verifier_key, const CallAuthorizer* authorizer,
                    int max_subscriptions)
      : store_(store),
        writer_(writer),
        max_subscriptions_(max_subscriptions),
        verifier_key_(std::move(verifier_key)),
        authorizer_(authorizer) {}

  void BeginShutdown() {
    shutting_down_.store(true);
    append_streams_.Shutdown();
  }

  grpc::Status GetCheckpoint(grpc::ServerContext* context,
                             const ledger::v1::GetCheckpointRequest*,
                             ledger::v1::GetCheckpointResponse* response) override {
    if (grpc::Status s = MayRead(*context, "GetCheckpoint"); !s.ok()) return s;
    GroupCommitWriter::SignedCheckpoint c = writer_->LatestCheckpoint();
    response->set_checkpoint(std::move(c.note));
    response->set_tree_size(c.size);
    response->set_verifier_key(verifier_key_);
    return grpc::Status::OK;
  }

  grpc::Status GetInclusionProof(
      grpc::ServerContext* context, const ledger::v1::GetInclusionProofRequest* request,
      ledger::v1::GetInclusionProofResponse* response) override {
    if (grpc::Status s = MayRead(*context, "GetInclusionProof"); !s.ok()) return s;
    uint64_t size = request->tree_size();
    if (size == 0) size = writer_->LatestCheckpoint().size;
    if (grpc::Status s = CheckTreeSize(size, "tree_size"); !s.ok()) return s;
    if (request->leaf_index() >= size) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("leaf_index: ", request->leaf_index(),
                                       " is not in a tree of size ", size));
    }
    absl::StatusOr<std::vector<Hash>> proof =
        StoredInclusionProof(*store_, request->leaf_index(), size);
    if (!proof.ok()) return ToGrpcStatus(proof.status());
    // The leaf hash of the entry as stored, not the stored tree node: a
    // client checking an entry it read gets a proof that fails if the two
    // ever disagree.
    absl::StatusOr<std::string> entry = store_->GetEntryBytes(request->leaf_index());
    if (!entry.ok()) return ToGrpcStatus(MissingAsDataLoss(entry.status()));
    response->set_leaf_index(request->leaf_index());
    response->set_tree_size(size);
    response->set_leaf_hash(std::string(AsBytes(LeafHash(*entry))));
    for (const Hash& h : *proof) response->add_hashes(std::string(AsBytes(h)));
    return grpc::Status::OK;
  }

  grpc::Status GetConsistencyProof(
      grpc::ServerContext* context, const ledger::v1::GetConsistencyProofRequest* request,
      ledger::v1::GetConsistencyProofResponse* response) override {
    if (grpc::Status s = MayRead(*context, "GetConsistencyProof"); !s.ok()) return s;
    uint64_t size2 = request->second_size();
    if (size2 == 0) size2 = writer_->LatestCheckpoint().size;
    if (grpc::Status s = CheckTreeSize(size2, "second_size"); !s.ok()) return s;
    if (request->first_size() == 0 || request->first_size() > size2) {
      return grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("first_size: must be 1 to ", size2, ", not ",
                       request->first_size()));
    }
    absl::StatusOr<std::vector<Hash>> proof =
        StoredConsistencyProof(*store_, request->first_size(), size2);
    if (!proof.ok()) return ToGrpcStatus(proof.status());
    response->set_first_size(request->first_size());
    response->set_second_size(size2);
    for (const Hash& h : *proof) response->add_hashes(std::string(AsBytes(h)));
    return grpc::Status::OK;
  }

  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* context,
                                   const ledger::v1::AppendRequest* request,
                                   ledger::v1::AppendResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    // A call whose deadline has already passed is not worth writing: the
    // client has stopped waiting and would not learn the outcome.
    if (context->deadline() <= std::chrono::system_clock::now()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                   "the call's deadline passed before the append started; "
                                   "nothing was recorded"));
      return reactor;
    }
    // The actor is who the connection proved to be, never anything the
    // request says.
    absl::StatusOr<std::string> actor = authorizer_->AuthorizeAppend(*context, *request);
    if (!actor.ok()) {
      reactor->Finish(ToGrpcStatus(actor.status()));
      return reactor;
    }
    // The request and response live until Finish.
    writer_->AppendAsync(*request, *actor,
                         [reactor, response](absl::StatusOr<ledger::v1::AppendResponse> r) {
                           if (!r.ok()) {
                             reactor->Finish(ToGrpcStatus(r.status()));
                             return;
                           }
                           *response = std::move(*r);
                           reactor->Finish(grpc::Status::OK);
                         });
    return reactor;
  }

  grpc::ServerBidiReactor<ledger::v1::AppendRequest, ledger::v1::AppendStreamResponse>*
  AppendStream(grpc::CallbackServerContext* context) override {
    return new AppendStreamReactor(context, writer_, authorizer_, &append_streams_);
  }

  grpc::Status Read(grpc::ServerContext* context,
                    const ledger::v1::ReadRequest* request,
                    grpc::ServerWriter<ledger::v1::ReadResponse>* writer) override {
    if (grpc::Status s = MayRead(*context, "Read"); !s.ok()) return s;
    uint64_t sent = 0;
    const uint64_t limit = request->limit() == 0 ? UINT64_MAX : request->limit();
    ledger::v1::ReadResponse out;
    auto send = [&](std::string_view bytes) -> grpc::Status {
      if (!out.mutable_entry()->ParseFromArray(bytes.data(),
                                               static_cast<int>(bytes.size()))) {
        return grpc::Status(grpc::StatusCode::DATA_LOSS,
                            "stored entry does not parse; run ledger-verify");
      }
      if (!writer->Write(out)) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
      }
      ++sent;
      return grpc::Status::OK;
    };
    if (request->stream().empty()) {
      std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(store_->entries());
      for (it->Seek(EntryKey(request->from())); it->Valid() && sent < limit;
           it->Next()) {
        if (context->IsCancelled()) return grpc::Status::CANCELLED;
        grpc::Status s = send(it->value().ToStringView());
        if (!s.ok()) return s;
      }
      return ToGrpcStatus(FromRocksStatus(it->status(), "read failed"));
    }
    if (!IsPrintableName(request->stream(), 1024)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "stream: must be printable ASCII without spaces");
    }
    const std::string prefix = StreamIndexPrefix(request->stream());
    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(store_->streams());
    for (it->Seek(StreamIndexKey(request->stream(),
                                 std::max<uint64_t>(request->from(), 1)));
         it->Valid() && it->key().starts_with(prefix) && sent < limit;
         it->Next()) {
      if (context->IsCancelled()) return grpc::Status::CANCELLED;
      std::optional<uint64_t> seq = DecodeBigEndian64(it->value().ToStringView());
      if (!seq.has_value()) {
        return grpc::Status(grpc::StatusCode::DATA_LOSS,
                            "stream index is malformed; run ledger-verify");
      }
      absl::StatusOr<std::string> bytes = store_->GetEntryBytes(*seq);
      if (!bytes.ok()) return ToGrpcStatus(bytes.status());
      grpc::Status s = send(*bytes);
      if (!s.ok()) return s;
    }
    return ToGrpcStatus(FromRocksStatus(it->status(), "read failed"));
  }

  grpc::Status Subscribe(
      grpc::ServerContext* context, const ledger::v1::SubscribeRequest* request,
      grpc::ServerWriter<ledger::v1::SubscribeResponse>* writer) override {
    if (grpc::Status s = MayRead(*context, "Subscribe"); !s.ok()) return s;
    if (!request->stream().empty() && !IsPrintableName(request->stream(), 1024)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "stream: must be printable ASCII without spaces");
    }
    // Each subscription holds a thread while it lasts: bound them.
    if (subscriptions_.fetch_add(1) >= max_subscriptions_) {
      subscriptions_.fetch_sub(1);
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          absl::StrCat("too many subscriptions (at most ", max_subscriptions_,
                                       "); try again later"));
    }
    struct Release {
      std::atomic<int>* n;
      ~Release() { n->fetch_sub(1); }
    } release{&subscriptions_};
    uint64_t next = request->from_sequence();
    bool caught_up = false;
    ledger::v1::SubscribeResponse out;
    while (!context->IsCancelled()) {
      if (shutting_down_.load() || writer_->stopping()) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "server is shutting down");
      }
      const uint64_t size = writer_->CommittedSize();
      if (next < size) {
        std::unique_ptr<rocksdb::Iterator> it =
            store_->NewIterator(store_->entries());
        for (it->Seek(EntryKey(next)); it->Valid() && next < size; it->Next()) {
          if (context->IsCancelled()) return grpc::Status::CANCELLED;
          std::string_view bytes = it->value().ToStringView();
          Entry* e = out.mutable_entry();
          if (!e->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
            return grpc::Status(grpc::StatusCode::DATA_LOSS,
                                "stored entry does not parse; run ledger-verify");
          }
          next = e->sequence() + 1;
          if (!request->stream().empty() && e->stream() != request->stream()) {
            continue;
          }
          if (!writer->Write(out)) return grpc::Status::CANCELLED;
        }
        if (!it->status().ok()) {
          return ToGrpcStatus(FromRocksStatus(it->status(), "read failed"));
        }
        continue;
      }
      if (!caught_up) {
        caught_up = true;
        out.mutable_caught_up()->set_log_size(size);
        if (!writer->Write(out)) return grpc::Status::CANCELLED;
      }
      // A bounded wait so cancellation is noticed promptly.
      writer_->WaitForSizeAbove(next, absl::Milliseconds(200));
    }
    return grpc::Status::CANCELLED;
  }

  grpc::Status Backup(grpc::ServerContext* context, const ledger::v1::BackupRequest*,
                      grpc::ServerWriter<ledger::v1::BackupChunk>* writer) override {
    if (absl::StatusOr<std::string> who = authorizer_->AuthorizeAdminister(*context, "Backup");
        !who.ok()) {
      return ToGrpcStatus(who.status());
    }
    // One backup at a time; its working copy sits beside the database (on
    // the same file system, so table files are hard links, not copies) and
    // is removed when the backup ends, or by the next backup if the
    // server died meanwhile.
    std::unique_lock<std::mutex> lock(backup_mu_, std::try_to_lock);
    if (!lock.owns_lock()) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "a backup is already running; try again when it ends");
    }
    if (shutting_down_.load()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
    }
    namespace fs = std::filesystem;
    const fs::path dir = store_->path() + ".backup-in-progress";
    std::error_code ec;
    fs::remove_all(dir, ec);
    struct Cleanup {
      fs::path dir;
      ~Cleanup() {
        std::error_code ignored;
        fs::remove_all(dir, ignored);
      }
    } cleanup{dir};
    if (absl::Status s = store_->CreateCheckpoint(dir.string()); !s.ok()) {
      return ToGrpcStatus(s);
    }
    // What the copy holds, read back from the copy itself.
    ledger::v1::BackupChunk first;
    {
      absl::StatusOr<std::unique_ptr<LedgerStore>> copy =
          LedgerStore::Open(dir.string(), LedgerStore::Mode::kReadOnly);
      if (!copy.ok()) return ToGrpcStatus(copy.status());
      absl::StatusOr<LogHead> head = (*copy)->ReadHead();
      if (!head.ok()) return ToGrpcStatus(head.status());
      absl::StatusOr<std::optional<std::string>> note = (*copy)->GetMeta(kMetaCheckpointKey);
      if (!note.ok()) return ToGrpcStatus(note.status());
      first.set_tree_size(head->size);
      if (note->has_value()) first.set_checkpoint(**note);
    }
    std::vector<std::string> files;
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
      if (e.is_regular_file()) files.push_back(e.path().filename().string());
    }
    if (ec) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          absl::StrCat("listing ", dir.string(), ": ", ec.message()));
    }
    std::sort(files.begin(), files.end());
    constexpr size_t kChunk = 1 << 20;
    std::string buffer(kChunk, '\0');
    bool sent_first = false;
    for (const std::string& name : files) {
      std::ifstream in(dir / name, std::ios::binary);
      if (!in) {
        return grpc::Status(grpc::StatusCode::INTERNAL,
                            absl::StrCat("cannot read ", (dir / name).string()));
      }
      uint64_t offset = 0;
      while (true) {
        if (context->IsCancelled()) return grpc::Status::CANCELLED;
        if (shutting_down_.load()) {
          return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
        }
        in.read(buffer.data(), static_cast<std::streamsize>(kChunk));
        const size_t n = static_cast<size_t>(in.gcount());
        if (in.bad()) {
          return grpc::Status(grpc::StatusCode::INTERNAL,
                              absl::StrCat("cannot read ", (dir / name).string()));
        }
        ledger::v1::BackupChunk chunk = sent_first ? ledger::v1::BackupChunk() : first;
        sent_first = true;
        chunk.set_file(name);
        chunk.set_offset(offset);
        chunk.set_data(buffer.data(), n);
        offset += n;
        const bool last = in.eof();
        chunk.set_last(last);
        if (!writer->Write(chunk)) {
          return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
        }
        if (last) break;
      }
    }
    return grpc::Status::OK;
  }

 private:
  const LedgerStore* store_;
  GroupCommitWriter* writer_;
  std::mutex backup_mu_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<int> subscriptions_{0};
  AppendStreams append_streams_;
  const int max_subscriptions_;
  const std::string verifier_key_;
  const CallAuthorizer* const authorizer_;

  grpc::Status MayRead(const grpc::ServerContextBase& context, const char* what) const {
    return ToGrpcStatus(authorizer_->AuthorizeRead(context, what).status());
  }

  grpc::Status CheckTreeSize(uint64_t size, const char* field) const {
    const uint64_t committed = writer_->CommittedSize();
    if (size > committed) {
      return grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                          absl::StrCat(field, ": the log holds ", committed,
                                       " entries, not ", size));
    }
    return grpc::Status::OK;
  }
};

// Splits HOST:PORT (HOST may be [v6]).
absl::Status SplitHostPort(const std::string& address, std::string* host,
                           int* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen '", address, "' is not HOST:PORT"));
  }
  *host = address.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (!absl::SimpleAtoi(address.substr(colon + 1), port) || *port < 0 ||
      *port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen '", address, "': port must be 0 to 65535"));
  }
  return absl::OkStatus();
}

// gRPC reports a failed bind only as "could not start"; try the bind
// ourselves first to say why.
absl::Status CheckCanBind(const std::string& address) {
  std::string host;
  int port = 0;
  RETURN_IF_ERROR(SplitHostPort(address, &host, &port));
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot listen on ", address, ": ", gai_strerror(rc)));
  }
  absl::Status result = absl::OkStatus();
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
      result = absl::UnavailableError(absl::StrCat(
          "cannot listen on ", address, ": ", std::strerror(errno)));
    }
    close(fd);
  }
  freeaddrinfo(res);
  return result;
}

// Settles the log's origin: the one stored when it was first served, which
// a different --origin may not change.
absl::StatusOr<std::string> ResolveOrigin(LedgerStore& store,
                                          const std::string& requested) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   store.GetMeta(kMetaOriginKey));
  if (stored.has_value()) {
    if (!requested.empty() && requested != *stored) {
      return absl::FailedPreconditionError(absl::StrCat(
          "this log's origin is '", *stored, "', not '", requested,
          "'; checkpoints keep the origin the log was first served with"));
    }
    return *stored;
  }
  return requested.empty() ? std::string(kDefaultOrigin) : requested;
}

bool IsLoopback(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (address->sa_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
  }
  return false;
}

}  // namespace

absl::Status CheckLoopback(const std::string& listen) {
  std::string host;
  int port = 0;
  RETURN_IF_ERROR(SplitHostPort(listen, &host, &port));
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot listen on ", listen, ": ", gai_strerror(rc)));
  }
  bool all_loopback = res != nullptr;
  for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
    all_loopback = all_loopback && IsLoopback(a->ai_addr);
  }
  freeaddrinfo(res);
  if (all_loopback) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing plaintext on ", listen,
      ", which is not a loopback address: nobody could be authenticated. Give "
      "--tls-cert, --tls-key, --client-ca and --roles for mutual TLS, or "
      "--insecure-plaintext if this is really wanted"));
}

absl::Status CallAuthorizer::Logged(const absl::Status& denied) {
  // One line per refusal, for the operator: who, as what, was refused what;
  // at most 20 a second, so a flood of refused calls cannot flood the log
  // (the number left out is reported with the next line).
  static std::mutex mu;
  static absl::Time window_start = absl::InfinitePast();
  static int in_window = 0;
  static int64_t suppressed = 0;
  std::lock_guard<std::mutex> lock(mu);
  const absl::Time now = absl::Now();
  if (now - window_start >= absl::Seconds(1)) {
    window_start = now;
    in_window = 0;
  }
  if (++in_window > 20) {
    ++suppressed;
    return denied;
  }
  std::cerr << "ledgerd: denied: " << denied.message();
  if (suppressed > 0) std::cerr << " (and " << suppressed << " more denials not logged)";
  std::cerr << std::endl;
  suppressed = 0;
  return denied;
}

absl::StatusOr<std::string> CallAuthorizer::SubjectOf(
    const grpc::ServerContextBase& context, std::string_view what) const {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    std::vector<grpc::string_ref> subject =
        auth->FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME);
    if (!subject.empty() && subject[0].size() > 0) {
      return std::string(subject[0].data(), subject[0].size());
    }
  }
  // The TLS handshake already demands a verified client certificate; this
  // is the belt to those braces.
  return Logged(absl::PermissionDeniedError(
      absl::StrCat("no verified client certificate: ", std::string(what), " refused")));
}

absl::StatusOr<std::string> CallAuthorizer::AuthorizeRead(
    const grpc::ServerContextBase& context, std::string_view what) const {
  if (policy_ == nullptr) return std::string(kLocalActor);
  ASSIGN_OR_RETURN(std::string subject, SubjectOf(context, what));
  if (absl::Status s = policy_->CheckRead(subject, what); !s.ok()) return Logged(s);
  return subject;
}

absl::StatusOr<std::string> CallAuthorizer::AuthorizeAdminister(
    const grpc::ServerContextBase& context, std::string_view what) const {
  if (policy_ == nullptr) return std::string(kLocalActor);
  ASSIGN_OR_RETURN(std::string subject, SubjectOf(context, what));
  if (absl::Status s = policy_->CheckAdminister(subject, what); !s.ok()) return Logged(s);
  return subject;
}

absl::StatusOr<std::string> CallAuthorizer::AuthorizeAppend(
    const grpc::ServerContextBase& context, const ledger::v1::AppendRequest& request) const {
  if (policy_ == nullptr) return std::string(kLocalActor);
  ASSIGN_OR_RETURN(std::string subject, SubjectOf(context, "Append"));
  if (absl::Status s = policy_->CheckAppend(subject, request); !s.ok()) return Logged(s);
  return subject;
}

struct LedgerServer::Impl {
  std::unique_ptr<NoteSigner> signer;
  std::unique_ptr<LedgerStore> store;
  std::unique_ptr<GroupCommitWriter> writer;
  std::unique_ptr<CallAuthorizer> authorizer;
  std::unique_ptr<LedgerServiceImpl> service;
  std::unique_ptr<grpc::Server> server;
  std::string address;
  std::string verifier_key;
  ServiceProvider* services = nullptr;
  // Reads the tree's upper levels into the store's cache while the server
  // already answers (LedgerStore::WarmTreeTopCache).
  std::thread tree_warmer;
  std::atomic<bool> stop_warming{false};
  bool stopped = false;
};

LedgerServer::LedgerServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LedgerServer::~LedgerServer() { Shutdown(); }

const std::string& LedgerServer::listening_address() const {
  return impl_->address;
}

const std::string& LedgerServer::verifier_key() const {
  return impl_->verifier_key;
}

absl::StatusOr<std::unique_ptr<LedgerServer>> LedgerServer::Start(
    const ServerOptions& options) {
  if (options.tls.has_value() && options.access == nullptr) {
    return absl::InvalidArgumentError(
        "mutual TLS needs an access policy: who may do what (--roles)");
  }
  if (!options.tls.has_value() && !options.allow_plaintext_off_loopback) {
    RETURN_IF_ERROR(CheckLoopback(options.listen));
  }
  RETURN_IF_ERROR(CheckCanBind(options.listen));
  auto impl = std::make_unique<Impl>();
  ASSIGN_OR_RETURN(impl->store, LedgerStore::Open(options.db_path,
                                                  LedgerStore::Mode::kReadWrite));
  ASSIGN_OR_RETURN(std::string origin, ResolveOrigin(*impl->store, options.origin));
  const std::string key_path = options.signing_key_path.empty()
                                   ? options.db_path + ".key"
                                   : options.signing_key_path;
  ASSIGN_OR_RETURN(impl->signer, NoteSigner::LoadOrCreate(key_path, origin));
  impl->verifier_key = FormatVerifierKey(impl->signer->verifier_key());
  {
    ASSIGN_OR_RETURN(std::optional<std::string> stored_key,
                     impl->store->GetMeta(kMetaVerifierKeyKey));
    if (stored_key.has_value() && *stored_key != impl->verifier_key) {
      return absl::FailedPreconditionError(absl::StrCat(
          "signing key ", key_path, " is not the key this log was signed with (",
          *stored_key, ")"));
    }
    rocksdb::WriteBatch batch;
    batch.Put(impl->store->meta(), std::string(kMetaOriginKey), origin);
    batch.Put(impl->store->meta(), std::string(kMetaVerifierKeyKey), impl->verifier_key);
    RETURN_IF_ERROR(impl->store->Write(&batch, /*sync=*/true));
  }
  GroupCommitWriter::Options wo;
  wo.limits = options.limits;
  wo.validator = options.validator;
  wo.signer = impl->signer.get();
  wo.origin = origin;
  ASSIGN_OR_RETURN(impl->writer,
                   GroupCommitWriter::Start(impl->store.get(), std::move(wo)));
  impl->authorizer = std::make_unique<CallAuthorizer>(
      options.tls.has_value() ? options.access : nullptr);
  impl->service = std::make_unique<LedgerServiceImpl>(
      impl->store.get(), impl->writer.get(), impl->verifier_key,
      impl->authorizer.get(), options.max_subscriptions);

  grpc::EnableDefaultHealthCheckService(true);
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (options.tls.has_value()) {
    grpc::SslServerCredentialsOptions ssl(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = options.tls->client_ca_pem;
    ssl.pem_key_cert_pairs.push_back(
        {options.tls->private_key_pem, options.tls->cert_chain_pem});
    credentials = grpc::SslServerCredentials(ssl);
  } else {
    credentials = grpc::InsecureServerCredentials();
    // Reflection only in plaintext development: under mutual TLS a subject
    // with no role may call nothing but the health check.
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  }
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, credentials, &port);
  // Without this, Linux lets a second server share a port that is in use.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(options.limits.max_request_bytes + 64 * 1024));
  // Hostile or broken clients: a bounded number of calls per connection and
  // of threads; pings find peers that vanished without closing, so their
  // calls (a subscription waiting for entries) end and free their thread.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             options.max_streams_per_connection);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // A connection with no call for this long is closed (clients reconnect).
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 10 * 60 * 1000);
  grpc::ResourceQuota quota("ledgerd");
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  // The synchronous server keeps at most MAX_POLLERS idle threads; a
  // thread that finishes a call when that many are idle exits, and the
  // next call starts a new one. With gRPC's default of 2, when appends
  // still blocked a thread each, most of them paid for a thread's creation
  // and exit (docs/performance.md, item 1); for the synchronous calls left
  // 2, 4 and 32 measured the same.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              options.max_idle_threads);
  builder.RegisterService(impl->service.get());
  if (options.services != nullptr) {
    ASSIGN_OR_RETURN(std::vector<grpc::Service*> more,
                     options.services->Start(impl->store.get(), impl->writer.get(),
                                            impl->authorizer.get()));
    impl->services = options.services;
    for (grpc::Service* service : more) builder.RegisterService(service);
  }
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || port == 0) {
    if (impl->services != nullptr) impl->services->Stop();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen));
  }
  std::string host;
  int unused = 0;
  RETURN_IF_ERROR(SplitHostPort(options.listen, &host, &unused));
  impl->address = host.find(':') != std::string::npos
                      ? absl::StrCat("[", host, "]:", port)
                      : absl::StrCat(host, ":", port);
  impl->tree_warmer = std::thread([store = impl->store.get(), stop = &impl->stop_warming] {
    const absl::Time start = absl::Now();
    absl::StatusOr<LedgerStore::TreeWarmUp> done = store->WarmTreeTopCache(*stop);
    if (absl::IsCancelled(done.status())) return;
    if (!done.ok()) {
      // Proofs still work, reading each node as they need it; they meet
      // the same fault and report it themselves.
      std::cerr << "ledgerd: tree cache not filled: " << done.status().message()
                << std::endl;
      return;
    }
    if (done->nodes == 0) return;
    std::cerr << absl::StrFormat(
                     "ledgerd: tree cache: %d nodes of levels %d and up read in %.2f s",
                     done->nodes, done->lowest_level, absl::ToDoubleSeconds(absl::Now() - start))
              << std::endl;
  });
  return std::unique_ptr<LedgerServer>(new LedgerServer(std::move(impl)));
}

void LedgerServer::Shutdown() {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->stopped = true;
  impl_->stop_warming.store(true);
  if (impl_->tree_warmer.joinable()) impl_->tree_warmer.join();
  impl_->service->BeginShutdown();
  if (auto* health = impl_->server->GetHealthCheckService()) {
    health->Shutdown();
  }
  // Appends already in flight finish: the writer keeps running until the
  // server has drained them.
  impl_->server->Shutdown(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
  impl_->server->Wait();
  if (impl_->services != nullptr) impl_->services->Stop();
  impl_->writer->Shutdown();
  impl_->writer.reset();
  impl_->store.reset();
}

}  // namespace ledger
