// The TCP transport beyond the shared contract: it re-dials a peer that
// went away and came back, notices at once that a peer closed its end,
// and survives malformed frames.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <chrono>

#include "prod/tcp_network.h"

namespace tessera::prod {
namespace {

using Clock = std::chrono::steady_clock;

// Runs io until done() or the time limit passes; returns done().
bool drive(boost::asio::io_context& io, const std::function<bool()>& done,
           std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto give_up = Clock::now() + limit;
  while (!done() && Clock::now() < give_up) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(20));
  }
  return done();
}

Message hello() {
  Message m;
  m.method = "hello";
  m.payload = "x";
  return m;
}

TEST(TcpNetwork, RedialsAPeerThatRestarted) {
  boost::asio::io_context io;
  TcpNetwork a(io, NodeId(0));
  ASSERT_TRUE(a.listen("127.0.0.1", 0).is_ok());
  auto b = std::make_unique<TcpNetwork>(io, NodeId(1));
  ASSERT_TRUE(b->listen("127.0.0.1", 0).is_ok());
  const uint16_t b_port = b->port();
  a.add_peer(NodeId(1), "127.0.0.1", b_port);

  int received = 0;
  b->set_receiver([&](NodeId from, Message) { ++received; });
  a.send(NodeId(1), hello());
  ASSERT_TRUE(drive(io, [&] { return received == 1; }));

  b->stop();
  b.reset();
  // Sends while the peer is gone are lost, not queued forever or crashed on.
  for (int i = 0; i < 5; ++i) a.send(NodeId(1), hello());
  drive(io, [] { return false; }, std::chrono::milliseconds(300));  // let the failures play out

  TcpNetwork b2(io, NodeId(1));
  ASSERT_TRUE(b2.listen("127.0.0.1", b_port).is_ok());
  int received2 = 0;
  b2.set_receiver([&](NodeId from, Message m) {
    EXPECT_EQ(from, NodeId(0));
    ++received2;
  });
  ASSERT_TRUE(drive(io, [&] {
    a.send(NodeId(1), hello());  // keep trying, as an RPC retry would
    return received2 > 0;
  }));
  EXPECT_GE(a.stats().connects, 2u);
  EXPECT_GT(a.stats().frames_dropped + a.stats().connect_failures, 0u);
}

// A peer that restarts on the same port gets the first message sent after
// it is back: the sender noticed the old connection close (it reads every
// socket it writes) instead of writing into it and losing the message.
TEST(TcpNetwork, ARestartedPeerGetsTheFirstMessageSentToIt) {
  boost::asio::io_context io;
  TcpNetwork a(io, NodeId(0));
  std::vector<NodeId> broken;
  a.set_link_broken([&](NodeId peer) { broken.push_back(peer); });
  auto b = std::make_unique<TcpNetwork>(io, NodeId(1));
  ASSERT_TRUE(b->listen("127.0.0.1", 0).is_ok());
  const uint16_t b_port = b->port();
  a.add_peer(NodeId(1), "127.0.0.1", b_port);
  int received = 0;
  b->set_receiver([&](NodeId, Message) { ++received; });
  a.send(NodeId(1), hello());
  ASSERT_TRUE(drive(io, [&] { return received == 1; }));
  EXPECT_TRUE(broken.empty());

  b->stop();
  b.reset();
  // Nothing was sent since: the close alone tells a.
  ASSERT_TRUE(drive(io, [&] { return !broken.empty(); }));
  EXPECT_EQ(broken, std::vector<NodeId>{NodeId(1)});
  EXPECT_EQ(a.stats().connections_broken, 1u);

  TcpNetwork b2(io, NodeId(1));
  ASSERT_TRUE(b2.listen("127.0.0.1", b_port).is_ok());
  int received2 = 0;
  b2.set_receiver([&](NodeId, Message) { ++received2; });
  a.send(NodeId(1), hello());
  ASSERT_TRUE(drive(io, [&] { return received2 == 1; }));
  EXPECT_EQ(a.stats().frames_dropped, 0u);
}

// A refused connection is reported, and so is every frame sent to the
// dead peer after it (dropped during the short backoff, or refused again).
TEST(TcpNetwork, ARefusedConnectionIsReportedForEveryFrame) {
  boost::asio::io_context io;
  uint16_t free_port = 0;
  {
    TcpNetwork probe(io, NodeId(9));
    ASSERT_TRUE(probe.listen("127.0.0.1", 0).is_ok());
    free_port = probe.port();
  }
  TcpNetwork a(io, NodeId(0));
  int broken = 0;
  a.set_link_broken([&](NodeId peer) {
    EXPECT_EQ(peer, NodeId(1));
    ++broken;
  });
  a.add_peer(NodeId(1), "127.0.0.1", free_port);
  a.send(NodeId(1), hello());
  ASSERT_TRUE(drive(io, [&] { return broken == 1; }));
  EXPECT_EQ(a.stats().connect_failures, 1u);
  a.send(NodeId(1), hello());
  ASSERT_TRUE(drive(io, [&] { return broken == 2; }));
  EXPECT_EQ(a.stats().frames_dropped, 2u);
  EXPECT_EQ(a.stats().frames_sent, 0u);
}

TEST(TcpNetwork, MalformedFramesCloseTheConnectionOnly) {
  boost::asio::io_context io;
  TcpNetwork server(io, NodeId(1));
  ASSERT_TRUE(server.listen("127.0.0.1", 0).is_ok());
  int received = 0;
  server.set_receiver([&](NodeId, Message) { ++received; });

  using boost::asio::ip::tcp;
  auto raw_send = [&](const std::string& bytes) {
    tcp::socket s(io);
    s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server.port()));
    boost::asio::write(s, boost::asio::buffer(bytes));
    return s;
  };
  // A length over the frame limit.
  auto s1 = raw_send(std::string("\xff\xff\xff\xff", 4));
  ASSERT_TRUE(drive(io, [&] { return server.stats().bad_frames == 1; }));
  // A well-sized frame that is not an Envelope.
  auto s2 = raw_send(std::string("\x03\x00\x00\x00\xff\xff\xff", 7));
  ASSERT_TRUE(drive(io, [&] { return server.stats().bad_frames == 2; }));

  // The server still serves a well-behaved peer.
  TcpNetwork client(io, NodeId(0));
  client.add_peer(NodeId(1), "127.0.0.1", server.port());
  client.send(NodeId(1), hello());
  ASSERT_TRUE(drive(io, [&] { return received == 1; }));
}

}  // namespace
}  // namespace tessera::prod
