import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

/**
 * A MongoDB-wire server for tests and the offline embedded default: mongo-java-server, which applies
 * single-document conditional updates and unique indexes atomically, as MongoDB does.
 *
 *   java -cp 'lib/*:classes' MongoWire [--host 127.0.0.1] [--port 27017] [--file data/db.mv] [--exit-with-stdin]
 *
 * Without --file the data lives in memory; with it, in an H2 MVStore file that survives restarts
 * (closed gracefully on SIGTERM/SIGINT, which also compacts the file). With --exit-with-stdin the server
 * stops when its standard input closes: the process that started it through a pipe (npm start) takes it
 * down when it dies, even by SIGKILL, and the file is still closed cleanly.
 */
public final class MongoWire {
    public static void main(String[] args) {
        String host = "127.0.0.1";
        int port = 27017;
        String file = null;
        boolean exitWithStdin = false;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--host" -> { host = value; i++; }
                case "--port" -> { port = Integer.parseInt(value); i++; }
                case "--file" -> { file = value; i++; }
                case "--exit-with-stdin" -> exitWithStdin = true;
                default -> {
                    System.err.println("unknown argument: " + args[i]);
                    System.exit(2);
                }
            }
        }
        MongoBackend backend = file == null ? new MemoryBackend() : new H2Backend(file);
        backend.version(ServerVersion.MONGO_5_0);
        MongoServer server = new MongoServer(backend);
        server.bind(host, port);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            backend.close();
        }));
        System.out.println("mongo-wire ready on " + host + ":" + port + (file == null ? " (in memory)" : " (file " + file + ")"));
        System.out.flush();
        if (exitWithStdin) {
            Thread watcher = new Thread(() -> {
                try {
                    while (System.in.read() != -1) {
                        // nothing to read: the parent only ever closes the pipe
                    }
                } catch (java.io.IOException ignored) {
                    // a broken pipe means the parent is gone, like EOF
                }
                System.exit(0);
            }, "stdin-watcher");
            watcher.setDaemon(true);
            watcher.start();
        }
    }
}
