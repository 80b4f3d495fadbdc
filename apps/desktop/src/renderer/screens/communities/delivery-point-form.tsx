// Adding or changing one delivery point (a grid connection, by its POD
// code): whose it is, what kind of code it is, whether it is active, the
// grid node it hangs from, and its address and tariff. Saved through the
// desktop's router, so it works offline and syncs later.
import { api } from '../../client.js';
import { ConfirmButton } from '../../components/confirm-button.js';
import { userLocale } from '../../numbers.js';
import {
  deliveryPointFieldLabels,
  deliveryPointTypeLabels,
  type DeliveryPoint,
  type DeliveryPointInput,
  type DeliveryPointPatch,
  type Member,
  type Registry,
  type RegistryCommunity,
} from './community-labels.js';
import { toFormValue, type FieldSpec, type FormValues } from './registry-form.js';
import { RegistryFormView } from './registry-form-view.js';

/** Members as choices, by name: "Ada Lovelace (m-001)". */
export function memberChoices(members: readonly Member[]): Record<string, string> {
  return Object.fromEntries([...members].sort((a, b) => a.name.localeCompare(b.name)).map((m) => [m.id, `${m.name} (${m.key})`] as const));
}

/** The community's grid nodes as choices, in the topology's order: "Feeder 2 (f-2)". */
export function nodeChoices(community: RegistryCommunity): Record<string, string> {
  return Object.fromEntries(community.topology.map((n) => [n.id, n.name ? `${n.name} (${n.id})` : n.id]));
}

export function deliveryPointSpecs(registry: Registry): FieldSpec[] {
  const label = (name: string) => deliveryPointFieldLabels[name] ?? name;
  const nodes = nodeChoices(registry.community);
  return [
    { name: 'pod', label: label('pod'), kind: 'text', required: true, hint: 'The grid connection’s code; unique in Helio.' },
    { name: 'type', label: label('type'), kind: 'choice', required: true, options: deliveryPointTypeLabels },
    { name: 'member_id', label: label('member_id'), kind: 'choice', required: true, options: memberChoices(registry.members) },
    { name: 'active', label: label('active'), kind: 'boolean', required: true },
    Object.keys(nodes).length > 0
      ? { name: 'topology_node', label: label('topology_node'), kind: 'choice', options: nodes }
      : { name: 'topology_node', label: label('topology_node'), kind: 'text', hint: 'A node id of the community’s grid topology.' },
    { name: 'address', label: label('address'), kind: 'text' },
    { name: 'tariff', label: label('tariff'), kind: 'text' },
    { name: 'description', label: label('description'), kind: 'text' },
  ];
}

function formOf(specs: FieldSpec[], point: DeliveryPoint | undefined, memberId: string | undefined): FormValues {
  const locale = userLocale();
  if (point) return Object.fromEntries(specs.map((s) => [s.name, toFormValue(s, point[s.name as keyof DeliveryPoint], locale)]));
  return {
    pod: '',
    type: 'pod',
    member_id: memberId ?? '',
    active: 'true',
    topology_node: '',
    address: '',
    tariff: '',
    description: '',
  };
}

export function DeliveryPointForm(props: {
  registry: Registry;
  point?: DeliveryPoint;
  /** A new delivery point's member, when it is added from the member's row. */
  memberId?: string;
  onDone(message: string): void;
  onCancel(): void;
}) {
  const { registry, point } = props;
  const specs = deliveryPointSpecs(registry);
  const behind = point ? registry.assets.filter((a) => a.pod === point.pod) : [];
  return (
    <RegistryFormView
      title={point ? `Edit delivery point ${point.pod}` : 'New delivery point'}
      row={formOf(specs, point, props.memberId ?? registry.members[0]?.id)}
      isNew={!point}
      specsFor={() => specs}
      submitLabel={point ? 'Save delivery point' : 'Add delivery point'}
      onDone={props.onDone}
      onCancel={props.onCancel}
      onSave={async (values) => {
        if (point) {
          const saved = await api.communities.deliveryPoints.update.mutate({ id: point.id, patch: values as DeliveryPointPatch });
          return `Saved delivery point ${saved.pod}. It reaches the server when Helio syncs.`;
        }
        const saved = await api.communities.deliveryPoints.create.mutate({
          ...(values as DeliveryPointInput),
          community_id: registry.community.id,
        });
        return `Added delivery point ${saved.pod}. It reaches the server when Helio syncs.`;
      }}
    >
      {point && (
        <ConfirmButton
          label="Remove delivery point"
          buttonName={`Remove delivery point ${point.pod}`}
          question={
            `Remove delivery point ${point.pod}? ` +
            (behind.length > 0
              ? `Assets sit behind it (${behind.map((a) => a.name).join(', ')}): move them to another delivery point first. `
              : '') +
            'Everyone in this organisation sees it gone once Helio syncs.'
          }
          confirmLabel="Remove this delivery point"
          errorTitle={`Could not remove ${point.pod}`}
          onConfirm={async () => {
            await api.communities.deliveryPoints.delete.mutate({ id: point.id });
            props.onDone(`Removed delivery point ${point.pod}. The server hears of it when Helio syncs.`);
          }}
        />
      )}
    </RegistryFormView>
  );
}
