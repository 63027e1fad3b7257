import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

import { serveProperties } from './serveProperties';

export class SocialtapApi implements ICredentialType {
	name = 'socialtapApi';

	displayName = 'Socialtap API';

	icon = { light: 'file:../icons/socialtap.svg', dark: 'file:../icons/socialtap.dark.svg' } as const;

	documentationUrl = 'https://pypi.org/project/socialtap/';

	properties: INodeProperties[] = serveProperties;

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.serveToken}}',
			},
		},
	};

	// Lists the vendors: the URL answers and the token is accepted. Each vendor credential's
	// own Test button runs that vendor's check.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.serveUrl}}',
			url: '/vendors',
			method: 'GET',
		},
	};
}
