package io.fedtune.gateway.observability;

import java.net.InetSocketAddress;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Who is calling, as one string for rate limits and access logs: the JWT subject of an authenticated caller, the
 * remote address of an anonymous one (token requests, enrollment).
 *
 * @param value {@code sub:<subject>} or {@code ip:<address>}
 * @param subject the JWT subject, or null for anonymous callers
 */
public record ClientKey(String value, String subject) {

    /** The exchange attribute where the resolved key is kept for the access log. */
    public static final String ATTRIBUTE = ClientKey.class.getName();

    /** Resolves the caller of this exchange and remembers it on the exchange. */
    public static Mono<ClientKey> resolve(ServerWebExchange exchange) {
        return exchange.getPrincipal()
                .filter(principal -> principal instanceof JwtAuthenticationToken token && token.isAuthenticated())
                .map(principal -> ofSubject(((Authentication) principal).getName()))
                .switchIfEmpty(Mono.fromSupplier(() -> ofAddress(exchange)))
                .doOnNext(key -> exchange.getAttributes().put(ATTRIBUTE, key.value()));
    }

    static ClientKey ofSubject(String subject) {
        return new ClientKey("sub:" + subject, subject);
    }

    /** The key of an anonymous caller: its remote address. */
    public static ClientKey ofAddress(ServerWebExchange exchange) {
        InetSocketAddress remote = exchange.getRequest().getRemoteAddress();
        String address = remote == null || remote.getAddress() == null
                ? "unknown"
                : remote.getAddress().getHostAddress();
        return new ClientKey("ip:" + address, null);
    }
}
