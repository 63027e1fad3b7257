import type { INodeProperties } from 'n8n-workflow';

/**
 * Where `socialtap serve` runs and its token: the Socialtap API credential's fields, and
 * every vendor credential's too, because a credential's Test button sees only its own data.
 */
export const serveProperties: INodeProperties[] = [
	{
		displayName: 'Serve URL',
		name: 'serveUrl',
		type: 'string',
		default: 'http://127.0.0.1:8787',
		required: true,
		placeholder: 'http://127.0.0.1:8787',
		description: 'Where `socialtap serve` listens, as seen from n8n',
	},
	{
		displayName: 'Serve Token',
		name: 'serveToken',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		description:
			'The server\'s SOCIALTAP_SERVE_TOKEN; required when it binds anything but 127.0.0.1, and then needed for vendor credentials to be accepted from another machine',
	},
];
