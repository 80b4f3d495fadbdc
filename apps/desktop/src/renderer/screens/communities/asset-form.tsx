// Adding or changing one asset of a member (PV, storage, a meter, an EV
// charger, a heat pump, a load): its key, name and owner, the sensor that
// reports it, the delivery point it sits behind, the Helio site it is, and
// its type's own fields. The type is chosen when the asset is added. Saved
// through the desktop's router, so it works offline and syncs later.
import { api, type Site } from '../../client.js';
import { ConfirmButton } from '../../components/confirm-button.js';
import { userLocale } from '../../numbers.js';
import { assetProperties } from './asset-properties.js';
import {
  assetFieldLabels,
  assetTypeLabels,
  type Asset,
  type AssetInput,
  type AssetPatch,
  type AssetType,
  type Registry,
} from './community-labels.js';
import { memberChoices } from './delivery-point-form.js';
import { PROPERTY_PREFIX, toFormValue, withProperties, type FieldSpec, type FormValues } from './registry-form.js';
import { RegistryFormView } from './registry-form-view.js';

const label = (name: string) => assetFieldLabels[name] ?? name;
const isAssetType = (value: string | undefined): value is AssetType => value !== undefined && value in assetTypeLabels;

/** The fields of an asset of `type`; its type itself only while it is being added. */
export function assetSpecs(registry: Registry, sites: readonly Site[], type: AssetType, isNew: boolean): FieldSpec[] {
  const pods = Object.fromEntries(
    registry.delivery_points.map((p) => {
      const owner = registry.members.find((m) => m.id === p.member_id);
      return [p.pod, owner ? `${p.pod} (${owner.name})` : p.pod];
    }),
  );
  const common: FieldSpec[] = [
    { name: 'name', label: label('name'), kind: 'text', required: true },
    { name: 'key', label: label('key'), kind: 'text', required: true, hint: 'Letters, digits and . _ ~ -; unique in the community.' },
    ...(isNew
      ? [{ name: 'asset_type', label: label('asset_type'), kind: 'choice', required: true, options: assetTypeLabels } as const]
      : []),
    { name: 'member_id', label: label('member_id'), kind: 'choice', required: true, options: memberChoices(registry.members) },
    {
      name: 'sensor_id',
      label: label('sensor_id'),
      kind: 'text',
      required: type === 'meter',
      hint: 'The id its readings arrive under; unique in Helio.',
    },
    { name: 'pod', label: label('pod'), kind: 'choice', options: pods },
    {
      name: 'site_id',
      label: label('site_id'),
      kind: 'choice',
      options: Object.fromEntries([...sites].sort((a, b) => a.siteName.localeCompare(b.siteName)).map((s) => [s.id, s.siteName])),
    },
  ];
  const own = assetProperties[type].map((p) => ({ ...p, name: `${PROPERTY_PREFIX}${p.name}` }));
  return [...common, ...own];
}

function formOf(registry: Registry, asset: Asset | undefined, memberId: string | undefined): FormValues {
  const locale = userLocale();
  const form: FormValues = asset
    ? {
        name: asset.name,
        key: asset.key,
        asset_type: asset.asset_type,
        member_id: asset.member_id,
        sensor_id: asset.sensor_id ?? '',
        pod: asset.pod ?? '',
        site_id: asset.site_id ?? '',
      }
    : { name: '', key: '', asset_type: 'pv', member_id: memberId ?? '', sensor_id: '', pod: '', site_id: '' };
  // Every type's own fields, so that switching the type of a new asset keeps what was typed for each.
  for (const [type, specs] of Object.entries(assetProperties)) {
    for (const spec of specs) {
      const name = `${PROPERTY_PREFIX}${spec.name}`;
      if (asset && asset.asset_type === type) form[name] = toFormValue(spec, asset.properties[spec.name], locale);
      else form[name] ??= spec.kind === 'choice' && spec.required ? (Object.keys(spec.options ?? {})[0] ?? '') : '';
    }
  }
  return form;
}

export function AssetForm(props: {
  registry: Registry;
  sites: readonly Site[];
  asset?: Asset;
  memberId?: string;
  onDone(message: string): void;
  onCancel(): void;
}) {
  const { registry, asset } = props;
  const typeOf = (form: FormValues): AssetType =>
    (asset?.asset_type as AssetType) ?? (isAssetType(form.asset_type) ? form.asset_type : 'pv');
  return (
    <RegistryFormView
      title={asset ? `Edit ${asset.name}` : 'New asset'}
      row={formOf(registry, asset, props.memberId ?? registry.members[0]?.id)}
      isNew={!asset}
      specsFor={(form) => assetSpecs(registry, props.sites, typeOf(form), !asset)}
      submitLabel={asset ? 'Save asset' : 'Add asset'}
      onDone={props.onDone}
      onCancel={props.onCancel}
      onSave={async (values) => {
        const fields = withProperties(values, asset?.properties);
        if (asset) {
          const saved = await api.communities.assets.update.mutate({ id: asset.id, patch: fields as AssetPatch });
          return `Saved ${saved.name}. It reaches the server when Helio syncs.`;
        }
        const saved = await api.communities.assets.create.mutate({ ...(fields as AssetInput), community_id: registry.community.id });
        return `Added ${saved.name}. It reaches the server when Helio syncs.`;
      }}
    >
      {asset && (
        <ConfirmButton
          label="Remove asset"
          buttonName={`Remove ${asset.name}`}
          question={`Remove “${asset.name}” (${asset.key})? Everyone in this organisation sees it gone once Helio syncs.`}
          confirmLabel="Remove this asset"
          errorTitle={`Could not remove ${asset.name}`}
          onConfirm={async () => {
            await api.communities.assets.delete.mutate({ id: asset.id });
            props.onDone(`Removed ${asset.name}. The server hears of it when Helio syncs.`);
          }}
        />
      )}
    </RegistryFormView>
  );
}
