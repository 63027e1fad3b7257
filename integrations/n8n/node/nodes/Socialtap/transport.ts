import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	ILoadOptionsFunctions,
} from 'n8n-workflow';

/** An error `socialtap serve` answered with: `{"error": {"type", "message"}}` and its status. */
export class ServeError extends Error {
	constructor(
		readonly type: string,
		message: string,
		readonly status: number,
	) {
		super(`${type}: ${message}`);
	}
}

function serveError(status: number, body: unknown): ServeError {
	const error = (body as { error?: { type?: unknown; message?: unknown } } | null)?.error;
	if (error && typeof error.type === 'string' && typeof error.message === 'string') {
		return new ServeError(error.type, error.message, status);
	}
	// Not serve's JSON (a proxy's page, another service on that port): say where to look.
	return new ServeError(
		'ServeError',
		`socialtap serve answered HTTP ${status} without its JSON error; is the Serve URL right?`,
		status,
	);
}

/**
 * One request to `socialtap serve`, authenticated by the Socialtap API credential (its
 * bearer token); serve's typed errors become ServeError with serve's own message.
 */
export async function serveRequest(
	this: IExecuteFunctions | ILoadOptionsFunctions,
	method: IHttpRequestMethods,
	path: string,
	body?: IDataObject,
): Promise<unknown> {
	const credentials = await this.getCredentials('socialtapApi');
	const response = (await this.helpers.httpRequestWithAuthentication.call(this, 'socialtapApi', {
		method,
		url: `${String(credentials.serveUrl).replace(/\/+$/, '')}${path}`,
		body,
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
	})) as { statusCode: number; body: unknown };
	let data = response.body;
	if (typeof data === 'string') {
		try {
			data = JSON.parse(data);
		} catch {
			// left as text: serveError says it is not serve's answer
		}
	}
	if (response.statusCode >= 400) {
		throw serveError(response.statusCode, data);
	}
	return data;
}

/** The fields of a vendor credential (n8n property -> socialtap field) that are sent to serve as `credentials` (the filled ones). */
export function vendorFields(
	data: ICredentialDataDecryptedObject,
	fields: Record<string, string>,
): Record<string, string> {
	const given: Record<string, string> = {};
	for (const [property, field] of Object.entries(fields)) {
		const value = data[property];
		if (typeof value === 'string' && value !== '') {
			given[field] = value;
		}
	}
	return given;
}

export const pathPart = (value: string): string => encodeURIComponent(value);
