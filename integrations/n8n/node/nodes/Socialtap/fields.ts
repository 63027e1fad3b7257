import type { FieldType, IDataObject, ResourceMapperField } from 'n8n-workflow';

/** The part of a JSON Schema (draft 2020-12, as `socialtap spec` writes it) the form uses. */
export interface JsonSchema {
	type?: string | string[];
	format?: string;
	enum?: unknown[];
	anyOf?: JsonSchema[];
	items?: JsonSchema;
	properties?: Record<string, JsonSchema>;
	required?: string[];
	description?: string;
	default?: unknown;
}

/** A param's schema without its null alternative, and whether it takes a list. */
function unwrap(schema: JsonSchema): { schema: JsonSchema; list: boolean } {
	const alternatives = (schema.anyOf ?? []).filter((s) => s.type !== 'null');
	const array = alternatives.find((s) => s.type === 'array');
	if (array) {
		// A list param also takes one value (`-p ids=1`): the field holds one value or a JSON array.
		const one = alternatives.find((s) => s !== array) ?? array.items ?? {};
		return { schema: one, list: true };
	}
	if (schema.type === 'array') {
		return { schema: schema.items ?? {}, list: true };
	}
	return { schema, list: false };
}

function typeOf(schema: JsonSchema): string | undefined {
	const types = Array.isArray(schema.type) ? schema.type : [schema.type];
	return types.find((t) => t !== undefined && t !== 'null');
}

function fieldType(schema: JsonSchema, list: boolean): FieldType {
	if (list) return 'string';
	if (schema.enum) return 'options';
	if (schema.format === 'date' || schema.format === 'date-time') return 'dateTime';
	const type = typeOf(schema);
	if (type === 'integer' || type === 'number') return 'number';
	if (type === 'boolean') return 'boolean';
	if (type === 'object') return 'object';
	return 'string';
}

const ACRONYMS: Record<string, string> = { api: 'API', id: 'ID', ids: 'IDs', url: 'URL', urn: 'URN' };

/** `entity_id` -> `Entity ID`: n8n's Title Case labels. */
function label(name: string): string {
	return name
		.split('_')
		.map((word) => ACRONYMS[word] ?? word.charAt(0).toUpperCase() + word.slice(1))
		.join(' ');
}

/** One resource mapper field per param of a stream's params schema. */
export function paramFields(params: JsonSchema): ResourceMapperField[] {
	const required = new Set(params.required ?? []);
	return Object.entries(params.properties ?? {}).map(([name, property]) => {
		const { schema, list } = unwrap(property);
		const type = fieldType(schema, list);
		const field: ResourceMapperField = {
			id: name,
			displayName: list ? `${label(name)} (List)` : label(name),
			required: required.has(name),
			defaultMatch: false,
			display: true,
			type,
			canBeUsedToMatch: false,
		};
		if (type === 'options') {
			field.options = (schema.enum ?? [])
				.filter((value) => value !== null)
				.map((value) => ({ name: String(value), value: value as string | number }));
		}
		return field;
	});
}

/** Dates as `YYYY-MM-DD` (n8n gives a date field a DateTime), lists from JSON, empty fields dropped. */
export function paramValues(values: IDataObject, params: JsonSchema): IDataObject {
	const out: IDataObject = {};
	for (const [name, raw] of Object.entries(values)) {
		if (raw === null || raw === undefined || raw === '') continue;
		const property = params.properties?.[name];
		const { schema, list } = property ? unwrap(property) : { schema: {}, list: false };
		let value: unknown = raw;
		if (typeof value === 'object' && value !== null && 'toISO' in value) {
			value = JSON.parse(JSON.stringify(value)) as string;
		}
		if (schema.format === 'date' && typeof value === 'string') {
			value = value.slice(0, 10);
		}
		if (list && typeof value === 'string' && value.trim().startsWith('[')) {
			value = JSON.parse(value) as unknown;
		}
		out[name] = value as IDataObject[keyof IDataObject];
	}
	return out;
}
