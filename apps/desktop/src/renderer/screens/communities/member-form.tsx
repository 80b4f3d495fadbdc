// Adding or changing one member of a community: its key and name, its role
// and status, the area it belongs to (one of the community's areas), and the
// optional link to a Helio user. Saved through the desktop's router, so it
// works offline and reaches the server when Helio syncs.
import { api } from '../../client.js';
import { ConfirmButton } from '../../components/confirm-button.js';
import { userLocale } from '../../numbers.js';
import { plural } from '../../sync-status.js';
import {
  memberFieldLabels,
  roleLabels,
  statusLabels,
  type Member,
  type MemberInput,
  type MemberPatch,
  type Registry,
  type RegistryCommunity,
} from './community-labels.js';
import { toFormValue, type FieldSpec, type FormValues } from './registry-form.js';
import { RegistryFormView } from './registry-form-view.js';

/** The community's areas as choices: "North district (north)". */
export function areaChoices(community: RegistryCommunity): Record<string, string> {
  return Object.fromEntries(
    Object.entries(community.areas)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, area]) => [key, area.name === key ? key : `${area.name} (${key})`]),
  );
}

export function memberSpecs(community: RegistryCommunity): FieldSpec[] {
  const areas = areaChoices(community);
  const label = (name: string) => memberFieldLabels[name] ?? name;
  return [
    { name: 'name', label: label('name'), kind: 'text', required: true },
    { name: 'key', label: label('key'), kind: 'text', required: true, hint: 'Letters, digits and . _ ~ -; unique in the community.' },
    { name: 'role', label: label('role'), kind: 'choice', required: true, options: roleLabels },
    { name: 'status', label: label('status'), kind: 'choice', required: true, options: statusLabels },
    Object.keys(areas).length > 0
      ? { name: 'area', label: label('area'), kind: 'choice', required: true, options: areas }
      : { name: 'area', label: label('area'), kind: 'text', required: true, hint: 'An area key of the community.' },
    { name: 'user_id', label: label('user_id'), kind: 'text', hint: 'A Helio user’s id links the member to that person.' },
    { name: 'type', label: label('type'), kind: 'text', hint: 'Such as schema:Person or schema:LocalBusiness.' },
  ];
}

function formOf(specs: FieldSpec[], member: Member | undefined, community: RegistryCommunity): FormValues {
  const locale = userLocale();
  if (member) return Object.fromEntries(specs.map((s) => [s.name, toFormValue(s, member[s.name as keyof Member], locale)]));
  const firstArea = Object.keys(areaChoices(community))[0] ?? '';
  return { name: '', key: '', role: 'consumer', status: 'pending', area: firstArea, user_id: '', type: '' };
}

export function MemberForm(props: { registry: Registry; member?: Member; onDone(message: string): void; onCancel(): void }) {
  const { registry, member } = props;
  const specs = memberSpecs(registry.community);
  const owned = member
    ? {
        points: registry.delivery_points.filter((p) => p.member_id === member.id).length,
        assets: registry.assets.filter((a) => a.member_id === member.id).length,
      }
    : undefined;
  return (
    <RegistryFormView
      title={member ? `Edit ${member.name}` : 'New member'}
      row={formOf(specs, member, registry.community)}
      isNew={!member}
      specsFor={() => specs}
      submitLabel={member ? 'Save member' : 'Add member'}
      onDone={props.onDone}
      onCancel={props.onCancel}
      onSave={async (values) => {
        if (member) {
          const saved = await api.communities.members.update.mutate({ id: member.id, patch: values as MemberPatch });
          return `Saved ${saved.name}. It reaches the server when Helio syncs.`;
        }
        const saved = await api.communities.members.create.mutate({ ...(values as MemberInput), community_id: registry.community.id });
        return `Added ${saved.name}. It reaches the server when Helio syncs.`;
      }}
    >
      {member && owned && (
        <ConfirmButton
          label="Remove member"
          buttonName={`Remove ${member.name}`}
          question={
            `Remove “${member.name}” (${member.key}) from ${registry.community.name}? ` +
            (owned.points + owned.assets > 0
              ? `Its ${plural(owned.points, 'delivery point', 'delivery points')} and ${plural(owned.assets, 'asset', 'assets')} go with it. `
              : '') +
            'Everyone in this organisation sees it gone once Helio syncs.'
          }
          confirmLabel="Remove this member"
          errorTitle={`Could not remove ${member.name}`}
          onConfirm={async () => {
            await api.communities.members.delete.mutate({ id: member.id });
            props.onDone(`Removed ${member.name}. The server hears of it when Helio syncs.`);
          }}
        />
      )}
    </RegistryFormView>
  );
}
