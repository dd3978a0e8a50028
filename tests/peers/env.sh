# Connection contract between tests/peers/*.sh, .ci/run and the test suites.
# Source it (". tests/peers/env.sh"); every variable keeps a value already set in the
# environment and otherwise gets the default below. TestPeers.cs uses the same defaults.
# Every port lies below Linux's ephemeral range (32768–60999), where an outgoing connection may
# hold any port; servers the tests start themselves take ports from 30000–32767.

: "${PSBACKUP_PEERS_DIR:=/tmp/psbackup-peers}"            # state: data dirs, logs, pids
: "${PSBACKUP_TEST_PG_HOST:=127.0.0.1}"
: "${PSBACKUP_TEST_PG_PORT:=15432}"                       # primary
: "${PSBACKUP_TEST_PG_REPLICA_PORT:=15433}"               # streaming replica of the primary
: "${PSBACKUP_TEST_PG_USER:=postgres}"
: "${PSBACKUP_TEST_PG_BIN:=/usr/lib/postgresql/15/bin}"
: "${PSBACKUP_TEST_PG_DATA:=$PSBACKUP_PEERS_DIR/pg-primary}"
: "${PSBACKUP_TEST_REDIS:=127.0.0.1:16379}"
: "${PSBACKUP_TEST_REDIS2:=127.0.0.1:16380}"
: "${PSBACKUP_TEST_S3_ENDPOINT:=http://127.0.0.1:14569}"
: "${PSBACKUP_TEST_MONGO:=mongodb://127.0.0.1:17017}"

export PSBACKUP_PEERS_DIR PSBACKUP_TEST_PG_HOST PSBACKUP_TEST_PG_PORT PSBACKUP_TEST_PG_REPLICA_PORT \
  PSBACKUP_TEST_PG_USER PSBACKUP_TEST_PG_BIN PSBACKUP_TEST_PG_DATA PSBACKUP_TEST_REDIS \
  PSBACKUP_TEST_REDIS2 PSBACKUP_TEST_S3_ENDPOINT PSBACKUP_TEST_MONGO
