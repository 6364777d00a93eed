package io.fedtune.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate made at test time with the JDK's {@code keytool}, written as the PEM files that
 * docs/tls.md mounts: {@code tls.crt} and {@code tls.key} (the key as PKCS#1 {@code RSA PRIVATE KEY}, cert-manager's
 * default encoding). Being self-signed, {@code tls.crt} is also its own {@code ca.crt}.
 */
final class TestCertificate {

    private static final char[] PASSWORD = "changeit".toCharArray();

    private final Path certificate;
    private final Path privateKey;
    private final KeyStore keyStore;

    private TestCertificate(Path certificate, Path privateKey, KeyStore keyStore) {
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.keyStore = keyStore;
    }

    /**
     * Makes a certificate valid for {@code localhost} and {@code 127.0.0.1}, in a new temporary folder that is deleted
     * when the JVM exits.
     */
    static TestCertificate localhost(String name) {
        return forHost(name, "localhost", "dns:localhost,ip:127.0.0.1");
    }

    /**
     * Makes a certificate for one host, with the given subject alternative names ({@code dns:…}, {@code ip:…}), in a
     * new temporary folder that is deleted when the JVM exits.
     */
    static TestCertificate forHost(String name, String host, String alternativeNames) {
        try {
            Path folder = Files.createTempDirectory("fedtune-tls-" + name);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(folder)));
            Path p12 = folder.resolve("keystore.p12");
            keytool(
                    "-genkeypair",
                    "-alias",
                    "tls",
                    "-keyalg",
                    "RSA",
                    "-keysize",
                    "2048",
                    "-validity",
                    "2",
                    "-dname",
                    "CN=" + host + ",O=fedtune test " + name,
                    "-ext",
                    "san=" + alternativeNames,
                    "-storetype",
                    "PKCS12",
                    "-keystore",
                    p12.toString(),
                    "-storepass",
                    new String(PASSWORD),
                    "-keypass",
                    new String(PASSWORD));
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(p12)) {
                keyStore.load(in, PASSWORD);
            }
            Certificate cert = keyStore.getCertificate("tls");
            byte[] pkcs8 = keyStore.getKey("tls", PASSWORD).getEncoded();
            Path certificate = Files.writeString(folder.resolve("tls.crt"), pem("CERTIFICATE", cert.getEncoded()));
            Path privateKey = Files.writeString(folder.resolve("tls.key"), pem("RSA PRIVATE KEY", pkcs1(pkcs8)));
            return new TestCertificate(certificate, privateKey, keyStore);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The certificate, PEM ({@code tls.crt}; also the {@code ca.crt} that trusts it). */
    Path certificate() {
        return certificate;
    }

    /** The private key, PEM ({@code tls.key}). */
    Path privateKey() {
        return privateKey;
    }

    /** The certificate itself. */
    Certificate x509() {
        try {
            return keyStore.getCertificate("tls");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For a client that trusts this certificate and nothing else. */
    SSLContext trustedBy() {
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            KeyStore anchors = KeyStore.getInstance("PKCS12");
            anchors.load(null, null);
            anchors.setCertificateEntry("ca", keyStore.getCertificate("tls"));
            trust.init(anchors);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For a server that presents this certificate. */
    SSLContext presentedBy() {
        try {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(keyStore, PASSWORD);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void delete(Path folder) {
        try (Stream<Path> files = Files.walk(folder)) {
            files.sorted(Comparator.reverseOrder())
                    .forEach(file -> file.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary folder is harmless
        }
    }

    private static void keytool(String... arguments) throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new ArrayList<>();
        command.add(keytool.toString());
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /**
     * The PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo: {@code SEQUENCE { INTEGER version, SEQUENCE
     * algorithm, OCTET STRING privateKey }}.
     */
    private static byte[] pkcs1(byte[] pkcs8) {
        int[] position = {0};
        enter(pkcs8, position, 0x30);
        skip(pkcs8, position, 0x02);
        skip(pkcs8, position, 0x30);
        int length = enter(pkcs8, position, 0x04);
        return Arrays.copyOfRange(pkcs8, position[0], position[0] + length);
    }

    /** Reads a DER tag and length, leaves the position at the content and returns its length. */
    private static int enter(byte[] der, int[] position, int tag) {
        if ((der[position[0]++] & 0xFF) != tag) {
            throw new IllegalArgumentException("unexpected DER tag at " + (position[0] - 1));
        }
        int first = der[position[0]++] & 0xFF;
        if (first < 0x80) {
            return first;
        }
        int length = 0;
        for (int i = 0; i < (first & 0x7F); i++) {
            length = (length << 8) | (der[position[0]++] & 0xFF);
        }
        return length;
    }

    private static void skip(byte[] der, int[] position, int tag) {
        int length = enter(der, position, tag);
        position[0] += length;
    }
}
