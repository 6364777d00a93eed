package io.fedtune.aggregator.security;

import io.fedtune.aggregator.system.AggregatorException;
import io.fedtune.protocol.api.TokenResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The issuer's public face: {@code POST /oauth2/token} (OAuth2 client-credentials, credentials in HTTP Basic or in the
 * form), {@code GET /oauth2/jwks} and {@code GET /.well-known/openid-configuration}.
 */
@RestController
class TokenEndpoint {

    private final JdbcClient jdbc;
    private final TokenIssuer issuer;
    private final SigningKeys keys;
    private final BootstrapAdmin admin;
    private final SecurityProperties properties;

    TokenEndpoint(
            JdbcClient jdbc,
            TokenIssuer issuer,
            SigningKeys keys,
            BootstrapAdmin admin,
            SecurityProperties properties) {
        this.jdbc = jdbc;
        this.issuer = issuer;
        this.keys = keys;
        this.admin = admin;
        this.properties = properties;
    }

    @PostMapping(path = "/oauth2/token", consumes = MediaType.APPLICATION_FORM_URLENCODED_VALUE)
    ResponseEntity<TokenResponse> token(
            @RequestParam(name = "grant_type", required = false) String grantType,
            @RequestParam(name = "client_id", required = false) String clientId,
            @RequestParam(name = "client_secret", required = false) String clientSecret,
            @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String authorization) {
        if (!"client_credentials".equals(grantType)) {
            throw new AggregatorException(
                    HttpStatus.BAD_REQUEST,
                    "unsupported-grant-type",
                    "Only grant_type=client_credentials is supported");
        }
        if (authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            String decoded;
            try {
                decoded = new String(
                        Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw invalidClient();
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw invalidClient();
            }
            clientId = java.net.URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8);
            clientSecret = java.net.URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8);
        }
        if (clientId == null || clientSecret == null) {
            throw invalidClient();
        }
        TokenIssuer.Token token =
                BootstrapAdmin.NAME.equals(clientId) ? adminToken(clientSecret) : agentToken(clientId, clientSecret);
        return ResponseEntity.ok()
                .cacheControl(CacheControl.noStore())
                .header("Pragma", "no-cache")
                .body(new TokenResponse(
                        token.value(), "Bearer", token.ttl().toSeconds(), String.join(" ", token.roles())));
    }

    private TokenIssuer.Token adminToken(String secret) {
        if (!admin.verify(secret)) {
            throw invalidClient();
        }
        return issuer.admin(BootstrapAdmin.NAME);
    }

    private TokenIssuer.Token agentToken(String clientId, String secret) {
        UUID id;
        try {
            id = UUID.fromString(clientId);
        } catch (IllegalArgumentException e) {
            throw invalidClient();
        }
        record Row(UUID federationId, String secretHash, String status) {}
        Row row = jdbc.sql("SELECT federation_id, secret_hash, status FROM client WHERE id = ?")
                .param(id)
                .query((rs, n) -> new Row(
                        rs.getObject("federation_id", UUID.class), rs.getString("secret_hash"), rs.getString("status")))
                .optional()
                .orElseThrow(TokenEndpoint::invalidClient);
        if (!"ACTIVE".equals(row.status()) || !Secrets.matches(secret, row.secretHash())) {
            throw invalidClient();
        }
        return issuer.agent(id, row.federationId());
    }

    private static AggregatorException invalidClient() {
        return new AggregatorException(
                HttpStatus.UNAUTHORIZED, "invalid-client", "Unknown client, wrong secret, or a revoked client");
    }

    @GetMapping(path = "/oauth2/jwks", produces = MediaType.APPLICATION_JSON_VALUE)
    Map<String, Object> jwks() {
        return keys.publicKeys().toJSONObject(true);
    }

    @GetMapping(path = "/.well-known/openid-configuration", produces = MediaType.APPLICATION_JSON_VALUE)
    Map<String, Object> discovery() {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("issuer", properties.issuerUri());
        document.put("jwks_uri", properties.issuerUri() + "/oauth2/jwks");
        document.put("token_endpoint", properties.issuerUri() + "/oauth2/token");
        document.put("grant_types_supported", List.of("client_credentials"));
        document.put("token_endpoint_auth_methods_supported", List.of("client_secret_basic", "client_secret_post"));
        document.put("id_token_signing_alg_values_supported", List.of("RS256"));
        return document;
    }
}
