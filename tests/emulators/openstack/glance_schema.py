"""glance's image schema: glance/api/v2/images.py get_schema with the default
etc/schema-image.json custom properties merged in."""

_UUID_PATTERN = ('^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}'
                 '-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$')
_CONTAINER_FORMATS = [None, 'ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed']
_DISK_FORMATS = [None, 'ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi',
                 'iso', 'ploop']


def glance_image_schema():
    properties = {
        'id': {'type': 'string', 'description': 'An identifier for the image',
               'pattern': _UUID_PATTERN},
        'name': {'type': ['null', 'string'], 'description': 'Descriptive name for the image',
                 'maxLength': 255},
        'status': {'type': 'string', 'readOnly': True, 'description': 'Status of the image',
                   'enum': ['queued', 'saving', 'active', 'killed', 'deleted', 'uploading',
                            'importing', 'pending_delete', 'deactivated']},
        'visibility': {'type': 'string', 'description': 'Scope of image accessibility',
                       'enum': ['community', 'public', 'private', 'shared']},
        'protected': {'type': 'boolean',
                      'description': 'If true, image will not be deletable.'},
        'os_hidden': {'type': 'boolean', 'description': 'If true, image will not appear in '
                                                        'default image list response.'},
        'checksum': {'type': ['null', 'string'], 'readOnly': True,
                     'description': 'md5 hash of image contents.', 'maxLength': 32},
        'os_hash_algo': {'type': ['null', 'string'], 'readOnly': True,
                         'description': 'Algorithm to calculate the os_hash_value',
                         'maxLength': 64},
        'os_hash_value': {'type': ['null', 'string'], 'readOnly': True,
                          'description': 'Hexdigest of the image contents using the '
                                         'algorithm specified by the os_hash_algo',
                          'maxLength': 128},
        'owner': {'type': ['null', 'string'], 'description': 'Owner of the image',
                  'maxLength': 255},
        'size': {'type': ['null', 'integer'], 'readOnly': True,
                 'description': 'Size of image file in bytes'},
        'virtual_size': {'type': ['null', 'integer'], 'readOnly': True,
                         'description': 'Virtual size of image in bytes'},
        'container_format': {'type': ['null', 'string'],
                             'description': 'Format of the container',
                             'enum': _CONTAINER_FORMATS},
        'disk_format': {'type': ['null', 'string'], 'description': 'Format of the disk',
                        'enum': _DISK_FORMATS},
        'created_at': {'type': 'string', 'readOnly': True,
                       'description': 'Date and time of image registration'},
        'updated_at': {'type': 'string', 'readOnly': True,
                       'description': 'Date and time of the last image modification'},
        'tags': {'type': 'array', 'description': 'List of strings related to the image',
                 'items': {'type': 'string', 'maxLength': 255}},
        'direct_url': {'type': 'string', 'readOnly': True,
                       'description': 'URL to access the image file kept in external store'},
        'min_ram': {'type': 'integer',
                    'description': 'Amount of ram (in MB) required to boot image.'},
        'min_disk': {'type': 'integer',
                     'description': 'Amount of disk space (in GB) required to boot image.'},
        'self': {'type': 'string', 'readOnly': True, 'description': 'An image self url'},
        'file': {'type': 'string', 'readOnly': True, 'description': 'An image file url'},
        'stores': {'type': 'string', 'readOnly': True,
                   'description': 'Store in which image data resides.  Only present when '
                                  'the operator has enabled multiple stores.  May be a '
                                  'comma-separated list of store identifiers.'},
        'schema': {'type': 'string', 'readOnly': True, 'description': 'An image schema url'},
        'locations': {
            'type': 'array',
            'items': {
                'type': 'object',
                'properties': {
                    'url': {'type': 'string', 'maxLength': 255},
                    'metadata': {'type': 'object'},
                    'validation_data': {
                        'description': 'Values to be used to populate the corresponding '
                                       'image properties. If the image status is not '
                                       "'queued', values must exactly match those "
                                       'already contained in the image properties.',
                        'type': 'object', 'writeOnly': True, 'additionalProperties': False,
                        'properties': {
                            'checksum': {'type': 'string', 'minLength': 32, 'maxLength': 32},
                            'os_hash_algo': {'type': 'string', 'maxLength': 64},
                            'os_hash_value': {'type': 'string', 'maxLength': 128},
                        },
                        'required': ['os_hash_algo', 'os_hash_value'],
                    },
                },
                'required': ['url', 'metadata'],
            },
            'description': 'A set of URLs to access the image file kept in external store',
        },
        # etc/schema-image.json, merged with is_base False
        'kernel_id': {'type': ['null', 'string'], 'pattern': _UUID_PATTERN,
                      'description': 'ID of image stored in Glance that should be used as '
                                     'the kernel when booting an AMI-style image.',
                      'is_base': False},
        'ramdisk_id': {'type': ['null', 'string'], 'pattern': _UUID_PATTERN,
                       'description': 'ID of image stored in Glance that should be used as '
                                      'the ramdisk when booting an AMI-style image.',
                       'is_base': False},
        'instance_uuid': {'type': 'string',
                          'description': 'Metadata which can be used to record which '
                                         'instance this image is associated with. '
                                         '(Informational only, does not create an instance '
                                         'snapshot.)',
                          'is_base': False},
        'architecture': {'type': 'string',
                         'description': 'Operating system architecture as specified in '
                                        'https://docs.openstack.org/python-glanceclient/'
                                        'latest/cli/property-keys.html',
                         'is_base': False},
        'os_distro': {'type': 'string',
                      'description': 'Common name of operating system distribution as '
                                     'specified in https://docs.openstack.org/'
                                     'python-glanceclient/latest/cli/property-keys.html',
                      'is_base': False},
        'os_version': {'type': 'string',
                       'description': 'Operating system version as specified by the '
                                      'distributor.',
                       'is_base': False},
        'description': {'type': 'string', 'description': 'A human-readable string describing '
                                                         'this image.',
                        'is_base': False},
        'cinder_encryption_key_id': {'type': 'string',
                                     'description': 'Identifier in the OpenStack Key '
                                                    'Management Service for the encryption '
                                                    'key for the Block Storage Service to '
                                                    'use when mounting a volume created '
                                                    'from this image',
                                     'is_base': False},
        'cinder_encryption_key_deletion_policy': {
            'type': 'string', 'enum': ['on_image_deletion', 'do_not_delete'],
            'description': 'States the condition under which the Image Service will delete '
                           'the object associated with the cinder_encryption_key_id image '
                           'property.',
            'is_base': False},
    }
    return {
        'name': 'image',
        'properties': properties,
        'additionalProperties': {'type': 'string'},
        'links': [{'rel': 'self', 'href': '{self}'},
                  {'rel': 'enclosure', 'href': '{file}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


# Image attributes glance keeps itself (everything else is an extra property).
GLANCE_BASE_ATTRS = ('name', 'disk_format', 'container_format', 'visibility', 'size',
                     'virtual_size', 'status', 'checksum', 'protected', 'min_ram',
                     'min_disk', 'owner', 'os_hidden', 'os_hash_algo', 'os_hash_value',
                     'tags', 'created_at', 'updated_at')
