import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IDataObject,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodePropertyOptions,
	INodeType,
	INodeTypeDescription,
	ResourceMapperFields,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { paramFields, paramValues, type JsonSchema } from './fields';
import { pathPart, serveRequest, vendorFields } from './transport';
import { vendorCredentials } from './vendorCredentials';

interface Spec {
	streams: Record<string, JsonSchema>;
}

export class Socialtap implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Socialtap',
		name: 'socialtap',
		icon: { light: 'file:socialtap.svg', dark: 'file:socialtap.dark.svg' },
		group: ['input'],
		version: 1,
		subtitle: '={{$parameter["vendor"] + ": " + $parameter["stream"]}}',
		description: 'Fetch social-media analytics from a vendor API through socialtap serve',
		defaults: {
			name: 'Socialtap',
		},
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'socialtapApi', required: true },
			// <vendor credentials: written by scripts/n8n_node_credentials.py>
			{
				name: 'socialtapCreatorauditApi',
				required: false,
				testedBy: 'socialtapCheck',
				displayOptions: { show: { vendor: ['creatoraudit'] } },
			},
			{
				name: 'socialtapInfluencerdbApi',
				required: false,
				testedBy: 'socialtapCheck',
				displayOptions: { show: { vendor: ['influencerdb'] } },
			},
			{
				name: 'socialtapMetrikaApi',
				required: false,
				testedBy: 'socialtapCheck',
				displayOptions: { show: { vendor: ['metrika'] } },
			},
			{
				name: 'socialtapShareableeApi',
				required: false,
				testedBy: 'socialtapCheck',
				displayOptions: { show: { vendor: ['shareablee'] } },
			},
			{
				name: 'socialtapUploadpostApi',
				required: false,
				testedBy: 'socialtapCheck',
				displayOptions: { show: { vendor: ['uploadpost'] } },
			},
			// </vendor credentials>
		],
		properties: [
			{
				displayName: 'Vendor Name or ID',
				name: 'vendor',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getVendors' },
				default: '',
				required: true,
				description:
					'The vendor API to read, as installed where socialtap serve runs. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'Stream Name or ID',
				name: 'stream',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getStreams', loadOptionsDependsOn: ['vendor'] },
				default: '',
				required: true,
				description:
					'What to fetch from the vendor. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'Params',
				name: 'params',
				type: 'resourceMapper',
				noDataExpression: true,
				default: { mappingMode: 'defineBelow', value: null },
				required: true,
				typeOptions: {
					loadOptionsDependsOn: ['vendor', 'stream'],
					resourceMapper: {
						resourceMapperMethod: 'getParamFields',
						mode: 'add',
						fieldWords: { singular: 'param', plural: 'params' },
						addAllFields: false,
						multiKeyMatch: false,
						supportAutoMap: false,
					},
				},
			},
			{
				displayName: 'Params (JSON)',
				name: 'paramsJson',
				type: 'json',
				default: '{}',
				description:
					'More params as a JSON object, merged over the fields above: for params the form cannot express (lists of objects, say)',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Incremental',
						name: 'incremental',
						type: 'boolean',
						default: false,
						description:
							'Whether to fetch a dated stream from where the last successful run of the same task ended (its bookmark lives in the state file of socialtap serve)',
					},
					{
						displayName: 'Max Pages',
						name: 'maxPages',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 1,
						description: 'Stop after this many pages per request chain',
					},
				],
			},
		],
	};

	methods = {
		loadOptions: {
			async getVendors(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
				const vendors = (await serveRequest.call(this, 'GET', '/vendors')) as Array<{
					name: string;
					title: string;
				}>;
				return vendors.map((v) => ({ name: v.title, value: v.name }));
			},
			async getStreams(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
				const vendor = this.getCurrentNodeParameter('vendor') as string;
				if (!vendor) return [];
				const streams = (await serveRequest.call(
					this,
					'GET',
					`/vendors/${pathPart(vendor)}/streams`,
				)) as Array<{ name: string; description: string }>;
				return streams.map((s) => ({ name: s.name, value: s.name, description: s.description }));
			},
		},
		resourceMapping: {
			async getParamFields(this: ILoadOptionsFunctions): Promise<ResourceMapperFields> {
				const vendor = this.getCurrentNodeParameter('vendor') as string;
				const stream = this.getCurrentNodeParameter('stream') as string;
				if (!vendor || !stream) {
					return { fields: [], emptyFieldsNotice: 'Choose a vendor and a stream first' };
				}
				const spec = (await serveRequest.call(
					this,
					'GET',
					`/vendors/${pathPart(vendor)}/streams/${pathPart(stream)}/spec`,
				)) as Spec;
				return {
					fields: paramFields(spec.streams[stream]),
					emptyFieldsNotice: 'This stream takes no params',
				};
			},
		},
		credentialTest: {
			// A vendor credential's Test button: serve's POST /check with these credentials.
			async socialtapCheck(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				const data = credential.data ?? {};
				const declared = vendorCredentials.find((c) => c.vendor === data.vendor);
				if (!declared) {
					return { status: 'Error', message: 'Not a socialtap vendor credential' };
				}
				const params = vendorFields(data, declared.checkParams);
				const headers: IDataObject = {};
				if (data.serveToken) headers.Authorization = `Bearer ${String(data.serveToken)}`;
				try {
					// A credential test gets only `request` (ICredentialTestFunctions has no
					// httpRequest), and a declarative test could not show serve's typed message.
					// eslint-disable-next-line @n8n/community-nodes/no-deprecated-workflow-functions
					const answer = (await this.helpers.request({
						method: 'POST',
						uri: `${String(data.serveUrl).replace(/\/+$/, '')}/check`,
						headers,
						body: {
							vendor: declared.vendor,
							yes: data.allowPaidTest === true,
							params,
							credentials: vendorFields(data, declared.fields),
						},
						json: true,
					})) as { ok: boolean; message?: string; error?: { type: string; message: string } };
					if (answer.ok) return { status: 'OK', message: answer.message ?? 'Connection successful' };
					return {
						status: 'Error',
						message: `${answer.error?.type}: ${answer.error?.message}`,
					};
				} catch (error) {
					const body = (error as { error?: { error?: { type?: string; message?: string } } }).error;
					const message = body?.error
						? `${body.error.type}: ${body.error.message}`
						: `socialtap serve did not answer: ${(error as Error).message}`;
					return { status: 'Error', message };
				}
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const out: INodeExecutionData[] = [];
		const specs: Record<string, JsonSchema> = {};
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const vendor = this.getNodeParameter('vendor', itemIndex) as string;
				const stream = this.getNodeParameter('stream', itemIndex) as string;
				const key = `${vendor}/${stream}`;
				if (!(key in specs)) {
					const spec = (await serveRequest.call(
						this,
						'GET',
						`/vendors/${pathPart(vendor)}/streams/${pathPart(stream)}/spec`,
					)) as Spec;
					specs[key] = spec.streams[stream];
				}
				const mapped = this.getNodeParameter('params.value', itemIndex, {}) as IDataObject | null;
				const params = paramValues(mapped ?? {}, specs[key]);
				const extra = this.getNodeParameter('paramsJson', itemIndex, '{}') as string | IDataObject;
				const parsed = typeof extra === 'string' ? (JSON.parse(extra || '{}') as unknown) : extra;
				if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
					throw new NodeOperationError(this.getNode(), 'Params (JSON) must be a JSON object', {
						itemIndex,
					});
				}
				Object.assign(params, parsed);
				const options = this.getNodeParameter('options', itemIndex, {}) as {
					maxPages?: number;
					incremental?: boolean;
				};
				const body: IDataObject = { vendor, stream, params };
				if (options.maxPages) body.max_pages = options.maxPages;
				if (options.incremental) body.incremental = true;
				const declared = vendorCredentials.find((c) => c.vendor === vendor);
				if (declared && this.getNode().credentials?.[declared.credential]) {
					const data = await this.getCredentials(declared.credential, itemIndex);
					body.credentials = vendorFields(data, declared.fields);
				}
				const records = (await serveRequest.call(this, 'POST', '/run', body)) as IDataObject[];
				for (const record of records) {
					out.push({ json: record, pairedItem: { item: itemIndex } });
				}
			} catch (error) {
				if (this.continueOnFail()) {
					out.push({
						json: { error: (error as Error).message },
						error: new NodeOperationError(this.getNode(), error as Error, { itemIndex }),
						pairedItem: { item: itemIndex },
					});
					continue;
				}
				// Keeps a NodeOperationError as it is (its constructor returns it), wraps the others.
				throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
			}
		}
		return [out];
	}
}
