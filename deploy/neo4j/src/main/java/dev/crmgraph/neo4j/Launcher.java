package dev.crmgraph.neo4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnector.EncryptionLevel;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.kernel.internal.Version;

/**
 * Launcher runs an embedded Neo4j Community DBMS for crmgraph's local stack and
 * integration tests: Bolt on 127.0.0.1 without TLS or auth, and nothing else listening.
 *
 * <p>Stdout carries exactly two lines, so a caller can parse it:
 * {@code READY bolt://127.0.0.1:<port> version=<version>} once Bolt accepts connections,
 * and {@code STOPPED} after a clean shutdown. Neo4j's own log is {@code <home>/logs/debug.log}.
 *
 * <p>It stops on SIGTERM or SIGINT and, with {@code --watch-stdin}, when stdin reaches
 * end of file, so a test harness that dies (and so closes the pipe) leaves no JVM behind.
 */
public final class Launcher {

    private static final String HOST = "127.0.0.1";

    private static final String USAGE = String.join("\n",
            "usage: Launcher --home DIR [--bolt-port N] [--pagecache SIZE] [--wipe]"
                    + " [--watch-stdin]",
            "  --home DIR        Neo4j home directory (data and logs live under it); required",
            "  --bolt-port N     Bolt port on 127.0.0.1; 0 picks a free one (default 7687)",
            "  --pagecache SIZE  page cache size, e.g. 512m or 1g (default 512m)",
            "  --wipe            delete DIR/data before starting, for a clean database",
            "  --watch-stdin     shut down when stdin reaches end of file");

    /** Options holds the parsed command line. */
    private record Options(Path home, int boltPort, long pageCacheBytes, boolean wipe,
            boolean watchStdin) {
    }

    public static void main(String[] args) throws Exception {
        Options opts;
        try {
            opts = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("launcher: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }

        if (opts.wipe()) {
            deleteTree(opts.home().resolve("data"));
        }

        // A signal before the hook is registered ends the JVM mid-start; Neo4j then
        // recovers the store from its transaction log on the next start.
        DatabaseManagementService dbms = build(opts);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            System.out.println("STOPPED");
            System.out.flush();
        }, "neo4j-shutdown"));

        int port = boltPort(dbms);
        awaitBolt(port);
        System.out.println("READY bolt://" + HOST + ":" + port
                + " version=" + Version.getNeo4jVersion());
        System.out.flush();

        if (opts.watchStdin()) {
            drain(System.in);
            System.exit(0); // runs the shutdown hook
        }
        Thread.currentThread().join(); // wait for a signal; the hook does the rest
    }

    /** build configures and starts the DBMS; it returns once the databases are up. */
    private static DatabaseManagementService build(Options opts) {
        SocketAddress bolt = new SocketAddress(HOST, opts.boltPort());
        return new DatabaseManagementServiceBuilder(opts.home())
                // Bolt only, plaintext, on loopback.
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, bolt)
                .setConfig(BoltConnector.advertised_address, bolt)
                .setConfig(BoltConnector.encryption_level, EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                // No server-side routing: clients use bolt://, and it would bind a second port.
                .setConfig(GraphDatabaseSettings.routing_enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // An explicit page cache; unset, Neo4j takes half the machine's RAM.
                .setConfig(GraphDatabaseSettings.pagecache_memory, opts.pageCacheBytes())
                // Small transaction logs: no 256 MiB preallocation, rotate often, keep none.
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold,
                        ByteUnit.mebiBytes(16))
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "keep_none")
                // Netty otherwise idles 5 s before Bolt lets go on shutdown (internal setting).
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .build();
    }

    /**
     * boltPort returns the port Bolt really listens on, which differs from the configured one
     * when that was 0. ConnectorPortRegister is internal API; Neo4j's own test harness uses it.
     */
    private static int boltPort(DatabaseManagementService dbms) {
        GraphDatabaseAPI db = (GraphDatabaseAPI) dbms.database(
                GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        ConnectorPortRegister ports = db.getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class);
        return ports.getLocalAddress(ConnectorType.BOLT).getPort();
    }

    /** awaitBolt returns once a TCP connect to the Bolt port succeeds, or fails after 30 s. */
    private static void awaitBolt(int port) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(HOST, port), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("bolt port " + port + " not accepting", e);
                }
                Thread.sleep(50);
            }
        }
    }

    /** drain reads in until end of file (or a read error, which means the same here). */
    private static void drain(InputStream in) {
        byte[] buf = new byte[4096];
        try {
            while (in.read(buf) >= 0) {
                // Input is ignored; only its end matters.
            }
        } catch (IOException e) {
            // The pipe broke: the parent is gone.
        }
    }

    /** deleteTree removes dir and everything under it; a missing dir is fine. */
    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException("deleting " + p, e);
                }
            });
        }
    }

    private static Options parse(String[] args) {
        Path home = null;
        int port = BoltConnector.DEFAULT_PORT;
        long pageCache = ByteUnit.mebiBytes(512);
        boolean wipe = false;
        boolean watchStdin = false;

        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--home" -> home = Path.of(value(args, ++i, a)).toAbsolutePath();
                case "--bolt-port" -> port = port(value(args, ++i, a));
                case "--pagecache" -> pageCache = size(value(args, ++i, a));
                case "--wipe" -> wipe = true;
                case "--watch-stdin" -> watchStdin = true;
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        if (home == null) {
            throw new IllegalArgumentException("--home is required");
        }
        return new Options(home, port, pageCache, wipe, watchStdin);
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    private static int port(String s) {
        try {
            int p = Integer.parseInt(s);
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--bolt-port " + s + ": want 0 to 65535");
    }

    private static long size(String s) {
        try {
            long n = ByteUnit.parse(s);
            if (n > 0) {
                return n;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                "--pagecache " + s + ": want a size such as 512m or 1g");
    }
}
