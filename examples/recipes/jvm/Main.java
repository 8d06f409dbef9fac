// Runs until it is stopped; a shutdown hook says when the JVM shuts down cleanly.
public class Main {
    public static void main(String[] args) throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("shutdown hook ran")));
        System.out.println("started");
        Thread.currentThread().join();
    }
}
