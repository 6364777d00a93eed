package io.fedtune.protocol.api;

import java.util.UUID;

/**
 * The client credentials an enrollment returns, once: the service keeps only a hash of the secret.
 *
 * @param clientId the OAuth2 client_id (also the client's id in every view)
 * @param clientSecret the OAuth2 client_secret
 * @param federationId the federation the client belongs to
 * @param issuer the token issuer (the aggregator)
 * @param tokenEndpoint where to exchange the credentials for a JWT ({@code POST}, client_credentials grant)
 */
public record EnrollmentResponse(
        UUID clientId, String clientSecret, UUID federationId, String issuer, String tokenEndpoint) {}
